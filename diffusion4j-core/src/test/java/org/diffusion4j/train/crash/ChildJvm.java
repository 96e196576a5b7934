package org.diffusion4j.train.crash;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A child JVM running a main class of the test class path, single-threaded libtorch, whose stdout
 * lines are collected as they arrive (stderr goes to a file). {@link #kill()} is SIGKILL on Linux.
 */
final class ChildJvm {

    private final Process process;
    private final long startNanos;
    private final Path stderr;
    private final List<String> lines = new ArrayList<>();
    private final List<Long> arrivals = new ArrayList<>();
    private final Thread reader;
    private boolean eof;

    private ChildJvm(Process process, long startNanos, Path stderr) {
        this.process = process;
        this.startNanos = startNanos;
        this.stderr = stderr;
        this.reader = new Thread(this::readLines, "child-stdout-" + process.pid());
        reader.setDaemon(true);
        reader.start();
    }

    /** Starts {@code mainClass} with {@code args}; its stderr goes to {@code stderr}. */
    static ChildJvm start(Class<?> mainClass, Path stderr, String... args) throws IOException {
        return startUnder(null, mainClass, stderr, args);
    }

    /**
     * Starts {@code mainClass} under a bash prelude such as {@code ulimit -f 256} (run before the
     * JVM is exec'd in the same process), or directly when {@code shellPrelude} is null.
     */
    static ChildJvm startUnder(String shellPrelude, Class<?> mainClass, Path stderr, String... args) throws IOException {
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dai.djl.offline=true", "-Dai.djl.pytorch.num_threads=1", "-Dai.djl.pytorch.num_interop_threads=1",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-XX:+UseSerialGC", "-Xmx512m",
                "-cp", classPath, mainClass.getName()));
        command.addAll(List.of(args));
        if (shellPrelude != null) {
            command.addAll(0, List.of("bash", "-c", shellPrelude + " && exec \"$0\" \"$@\""));
        }
        Files.createDirectories(stderr.toAbsolutePath().getParent());
        ProcessBuilder pb = new ProcessBuilder(command).redirectError(stderr.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().putIfAbsent("OMP_WAIT_POLICY", "PASSIVE");
        long t0 = System.nanoTime();
        return new ChildJvm(pb.start(), t0, stderr);
    }

    private void readLines() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                synchronized (this) {
                    lines.add(line);
                    arrivals.add(System.nanoTime() - startNanos);
                    notifyAll();
                }
            }
        } catch (IOException e) {
            // The pipe closed under a killed process: everything written before is already read.
        } finally {
            synchronized (this) {
                eof = true;
                notifyAll();
            }
        }
    }

    /**
     * Waits for the first line after index {@code from} that matches, and returns its index; -1
     * when the output ends first or {@code timeoutMillis} passes.
     */
    synchronized int await(int from, Predicate<String> matches, long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        int i = from;
        while (true) {
            for (; i < lines.size(); i++) {
                if (matches.test(lines.get(i))) {
                    return i;
                }
            }
            long left = deadline - System.nanoTime();
            if (eof || left <= 0) {
                return -1;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
    }

    /** When line {@code index} arrived, in nanoseconds since the process was started. */
    synchronized long arrivalNanos(int index) {
        return arrivals.get(index);
    }

    /** Nanoseconds since the process was started. */
    long elapsedNanos() {
        return System.nanoTime() - startNanos;
    }

    /** Sends SIGKILL (no shutdown hooks, no finally blocks run in the child). */
    void kill() {
        process.destroyForcibly();
    }

    /** Waits for the process to end and its output to be read; returns the exit code (137 after SIGKILL). */
    int waitFor(long timeoutSeconds) throws InterruptedException {
        if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor();
            throw new AssertionError("child " + process.pid() + " did not end within " + timeoutSeconds + " s; stderr: "
                    + stderrTail());
        }
        reader.join(10_000);
        return process.exitValue();
    }

    /** Every stdout line so far. */
    synchronized List<String> lines() {
        return List.copyOf(lines);
    }

    /** The last lines of the child's stderr, for failure messages. */
    String stderrTail() {
        try {
            List<String> all = Files.readAllLines(stderr, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - 30), all.size()));
        } catch (IOException e) {
            return "(no stderr: " + e + ")";
        }
    }
}
