package org.diffusion4j.io;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Refuses pickle-based weight files ({@code .bin}, {@code .ckpt}, {@code .pt}, {@code .pth}) before
 * any parsing: unpickling runs arbitrary code, so they are never read.
 */
public final class WeightFiles {

    /** How to turn a diffusers pickle checkpoint into safetensors. */
    public static final String HOW_TO_CONVERT = "convert it to safetensors first, e.g. with diffusers: "
            + "python -c \"from diffusers import UNet2DModel as M; M.from_pretrained('DIR', use_safetensors=False)"
            + ".save_pretrained('DIR', safe_serialization=True)\"";

    private WeightFiles() {}

    /** Whether the file name marks a pickle checkpoint. */
    public static boolean isPickleName(Path file) {
        String n = file.getFileName().toString().toLowerCase(Locale.ROOT);
        return n.endsWith(".bin") || n.endsWith(".ckpt") || n.endsWith(".pt") || n.endsWith(".pth") || n.endsWith(".pkl");
    }

    static void refusePickleByName(Path file) throws SafeTensorsException {
        if (isPickleName(file)) {
            throw new SafeTensorsException(file, "pickle checkpoints are refused (loading one can run arbitrary code); " + HOW_TO_CONVERT);
        }
    }

    /** Refuses content that starts like a pickle stream (0x80 proto) or a torch.save zip archive. */
    static void refusePickleByContent(Path file, byte[] prefix) throws SafeTensorsException {
        boolean pickle = prefix.length >= 2 && (prefix[0] & 0xff) == 0x80 && prefix[1] >= 2 && prefix[1] <= 5;
        boolean zip = prefix.length >= 4 && prefix[0] == 'P' && prefix[1] == 'K' && prefix[2] == 3 && prefix[3] == 4;
        if (pickle || zip) {
            throw new SafeTensorsException(file, "this is a " + (zip ? "torch.save zip" : "pickle")
                    + " file, not safetensors; pickle checkpoints are refused; " + HOW_TO_CONVERT);
        }
    }

    /** Throws when a file is a pickle checkpoint by name or content; otherwise does nothing. */
    public static void refusePickle(Path file) throws IOException {
        refusePickleByName(file);
    }
}
