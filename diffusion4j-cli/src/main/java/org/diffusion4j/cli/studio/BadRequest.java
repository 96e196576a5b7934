package org.diffusion4j.cli.studio;

/** A request the server refuses with a status (400 unless said) and a message naming the field at fault. */
final class BadRequest extends RuntimeException {

    private final int status;
    private final String field;

    BadRequest(String field, String message) {
        this(400, field, message);
    }

    BadRequest(int status, String field, String message) {
        super(message, null, false, false);
        this.status = status;
        this.field = field;
    }

    int status() {
        return status;
    }

    /** The request field at fault, or null when the fault is not one field's. */
    String field() {
        return field;
    }
}
