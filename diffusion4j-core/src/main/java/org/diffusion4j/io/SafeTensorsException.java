package org.diffusion4j.io;

import java.io.IOException;
import java.nio.file.Path;

/** A safetensors file that breaks a rule of the format; the message names the file and the rule. */
public class SafeTensorsException extends IOException {
    private static final long serialVersionUID = 1L;

    public SafeTensorsException(Path file, String problem) {
        super(file + ": " + problem);
    }
}
