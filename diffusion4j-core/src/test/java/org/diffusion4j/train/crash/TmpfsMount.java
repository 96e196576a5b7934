package org.diffusion4j.train.crash;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A size-limited tmpfs mounted on a folder for the length of a test, for a real "No space left on
 * device" and a real read-only file system. Mounting needs root (CAP_SYS_ADMIN): where it is not
 * permitted, {@link #mountOrSkip} skips the test with the reason.
 */
final class TmpfsMount implements AutoCloseable {

    private final Path dir;

    private TmpfsMount(Path dir) {
        this.dir = dir;
    }

    /** Mounts a tmpfs of {@code kilobytes} on {@code dir} (created), or aborts the test with the reason. */
    static TmpfsMount mountOrSkip(Path dir, long kilobytes) throws IOException, InterruptedException {
        Assumptions.assumeTrue(System.getProperty("os.name").startsWith("Linux"), "tmpfs is Linux only");
        Files.createDirectories(dir);
        String out = run("mount", "-t", "tmpfs", "-o", "size=" + kilobytes + "k,mode=0755", "tmpfs", dir.toString());
        Assumptions.assumeTrue(out == null, "cannot mount a size-limited tmpfs here (needs root): " + out);
        return new TmpfsMount(dir);
    }

    Path dir() {
        return dir;
    }

    /** Remounts read-only ({@code true}) or read-write. */
    void setReadOnly(boolean readOnly) throws IOException, InterruptedException {
        String out = run("mount", "-o", "remount," + (readOnly ? "ro" : "rw"), dir.toString());
        if (out != null) {
            throw new IOException("could not remount " + dir + (readOnly ? " read-only: " : " read-write: ") + out);
        }
    }

    @Override
    public void close() throws IOException, InterruptedException {
        String out = run("umount", dir.toString());
        if (out != null && run("umount", "-l", dir.toString()) != null) {
            throw new IOException("could not unmount the test tmpfs " + dir + ": " + out);
        }
    }

    /** Runs a command; null when it succeeded, else its exit code and output. */
    private static String run(String... command) throws InterruptedException {
        try {
            Process p = new ProcessBuilder(new ArrayList<>(List.of(command))).redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return "timed out";
            }
            return p.exitValue() == 0 ? null : "exit " + p.exitValue() + ": " + output;
        } catch (IOException e) {
            return e.toString();
        }
    }
}
