package org.diffusion4j.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * One tensor in a file, its format chosen by the file's extension: {@code .npy} (NumPy) or
 * {@code .safetensors}. Used for exchanging a sampler's starting noise x_T and its final output with
 * other tools (e.g. diffusers): {@code np.save("noise.npy", x)} or
 * {@code safetensors.torch.save_file({"x": x}, "noise.safetensors")}.
 */
public final class Tensors {

    /** The tensor name used when writing a single tensor to a safetensors file. */
    public static final String DEFAULT_NAME = "x";

    private Tensors() {}

    /** The supported formats. */
    public enum Format {
        NPY, SAFETENSORS;

        /** The format of a file name, refusing anything but {@code .npy} and {@code .safetensors}. */
        public static Format of(Path file) {
            String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
            if (name.endsWith(".npy")) {
                return NPY;
            }
            if (name.endsWith(".safetensors")) {
                return SAFETENSORS;
            }
            if (WeightFiles.isPickleName(file)) {
                throw new IllegalArgumentException(file + ": pickle files are never read; " + WeightFiles.HOW_TO_CONVERT);
            }
            throw new IllegalArgumentException(file + ": unknown tensor file type; name it *.npy or *.safetensors");
        }
    }

    /**
     * Reads the single tensor of a {@code .npy} file, or of a {@code .safetensors} file holding
     * exactly one tensor, into {@code manager}.
     */
    public static NDArray read(Path file, NDManager manager) throws IOException {
        return read(file, null, manager);
    }

    /**
     * Reads a tensor; for safetensors, {@code name} selects one of several tensors (null: the file
     * must hold exactly one). The name is ignored for {@code .npy}.
     */
    public static NDArray read(Path file, String name, NDManager manager) throws IOException {
        Format format = Format.of(file);
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "no such tensor file");
        }
        if (format == Format.NPY) {
            return Npy.read(file, manager);
        }
        SafeTensors st = SafeTensors.read(file);
        Set<String> names = st.names();
        String chosen = name;
        if (chosen == null) {
            if (names.size() != 1) {
                throw new SafeTensorsException(file, "holds " + names.size() + " tensors " + names
                        + "; expected exactly one (or name the tensor to use)");
            }
            chosen = names.iterator().next();
        } else if (!st.contains(chosen)) {
            throw new SafeTensorsException(file, "has no tensor named \"" + chosen + "\" (it has " + names + ")");
        }
        return st.toNDArray(chosen, manager);
    }

    /**
     * Writes one tensor to a {@code .npy} file, or to a {@code .safetensors} file under the name
     * {@value #DEFAULT_NAME}, atomically.
     */
    public static void write(Path file, NDArray array) throws IOException {
        write(file, DEFAULT_NAME, array);
    }

    /** Writes one tensor (named {@code name} in a safetensors file), atomically. */
    public static void write(Path file, String name, NDArray array) throws IOException {
        if (Format.of(file) == Format.NPY) {
            Npy.write(file, array);
        } else {
            SafeTensors.write(file, Map.of(name, array), Map.of());
        }
    }
}
