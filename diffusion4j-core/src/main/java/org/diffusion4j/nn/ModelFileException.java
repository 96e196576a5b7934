package org.diffusion4j.nn;

import java.io.IOException;

/**
 * A model folder whose content cannot be used: an invalid {@code config.json}, weights that do not
 * match the configuration (missing, unexpected or misshapen tensors), or a pickle checkpoint. The
 * message names the file and says what is wrong and how to fix it.
 */
public class ModelFileException extends IOException {
    private static final long serialVersionUID = 1L;

    public ModelFileException(String message) {
        super(message);
    }

    public ModelFileException(String message, Throwable cause) {
        super(message, cause);
    }
}
