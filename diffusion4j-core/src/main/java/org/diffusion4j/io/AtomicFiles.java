package org.diffusion4j.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Crash-safe file replacement: write a temporary file in the target's folder, fsync it, rename it
 * over the target, fsync the folder. A crash at any moment leaves either the old file or the new
 * one, never a partial file under the target name.
 */
public final class AtomicFiles {

    /** Writes the content of a file. */
    @FunctionalInterface
    public interface Writer {
        void write(OutputStream out) throws IOException;
    }

    /** The name {@link Files#createTempFile} gives our temporaries: {@code .<target name>.<digits>.tmp}. */
    private static final java.util.regex.Pattern TEMPORARY = java.util.regex.Pattern.compile("\\..+\\.\\d+\\.tmp");

    private AtomicFiles() {}

    /** Whether {@code file} is named like a temporary of {@link #write}, which only a crash leaves behind. */
    public static boolean isTemporary(Path file) {
        return TEMPORARY.matcher(file.getFileName().toString()).matches();
    }

    /** Replaces {@code target} with what {@code writer} produces, atomically. */
    public static void write(Path target, Writer writer) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
        try {
            keepPermissions(target, tmp);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE);
                    OutputStream out =
                            new java.io.BufferedOutputStream(
                                    java.nio.channels.Channels.newOutputStream(ch), 1 << 16)) {
                writer.write(out);
                out.flush();
                ch.force(true);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            syncDirectory(dir);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            if (e.getClass() == IOException.class) { // the kernel's bare errno text, e.g. "No space left on device"
                throw new IOException(target + ": could not be written (" + e.getMessage()
                        + "); the file there before, if any, is unchanged", e);
            }
            throw e;
        }
    }

    /**
     * A temporary file is created private (0600); give it the target's permissions, or the usual
     * 0644 for a new file, so that the result is as readable as a plainly written file.
     */
    private static void keepPermissions(Path target, Path tmp) throws IOException {
        try {
            java.util.Set<java.nio.file.attribute.PosixFilePermission> perms = Files.exists(target)
                    ? Files.getPosixFilePermissions(target)
                    : java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--");
            Files.setPosixFilePermissions(tmp, perms);
        } catch (UnsupportedOperationException e) {
            // Not a POSIX file system: the platform's defaults apply.
        }
    }

    /** Replaces {@code target} with {@code bytes}, atomically. */
    public static void write(Path target, byte[] bytes) throws IOException {
        write(target, out -> out.write(bytes));
    }

    /** Replaces {@code target} with UTF-8 {@code text}, atomically. */
    public static void writeString(Path target, String text) throws IOException {
        write(target, text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** Makes a rename in {@code dir} durable (best effort where the file system refuses it). */
    public static void syncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException ignored) {
            // Some file systems do not allow opening a directory; the rename itself is atomic.
        }
    }
}
