package org.diffusion4j.io;

import java.io.IOException;

/** A training checkpoint that cannot be used: missing manifest, damaged file, unwritable folder. */
public class CheckpointException extends IOException {
    private static final long serialVersionUID = 1L;

    public CheckpointException(String message) {
        super(message);
    }

    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
