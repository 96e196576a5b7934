package org.diffusion4j.data;

import java.io.IOException;

/**
 * A data file or data set was refused: missing, malformed, truncated, inconsistent, or too large.
 * The message always names the file (or data set) and says what is wrong and, where possible, the
 * fix.
 */
public class DatasetException extends IOException {
    private static final long serialVersionUID = 1L;

    public DatasetException(String message) {
        super(message);
    }

    public DatasetException(String message, Throwable cause) {
        super(message, cause);
    }
}
