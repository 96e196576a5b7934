package org.diffusion4j.io;

import java.io.IOException;
import java.nio.file.Path;

/** A {@code .npy} file that breaks a rule of the format; the message names the file and the rule. */
public class NpyException extends IOException {
    private static final long serialVersionUID = 1L;

    public NpyException(Path file, String problem) {
        super((file == null ? "<memory>" : file.toString()) + ": " + problem);
    }
}
