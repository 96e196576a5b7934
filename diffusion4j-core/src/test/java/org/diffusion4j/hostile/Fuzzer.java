package org.diffusion4j.hostile;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * A seeded mutation fuzzer over one reader. Each mutant is written to a file and parsed on a
 * {@link Guard.Worker} thread under a per-input timeout, its allocation measured. It must parse, or throw one of the reader's declared
 * exception types; anything else, a timeout, or more than {@link Guard#ALLOCATION_LIMIT} allocated is
 * a failure, and the input is saved to the failure folder with the stack trace beside it.
 */
final class Fuzzer {
    /** Inputs are capped at this size so that allocation stays meaningful against the 64 MiB limit. */
    static final int MAX_INPUT = 1 << 20;
    static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final int MAX_FAILURES = 10;
    private static final int MAX_POOL = 256;

    /**
     * What to fuzz: a reader, its seeds, how to mutate them, and an optional wrapper applied to each
     * mutant before it is written (e.g. gzip, so the mutations land inside a valid compressed stream).
     */
    record Target(String name, Parser parser, Mutator.Format format, String fileName, List<byte[]> seeds,
            UnaryOperator<byte[]> wrap) {
        /** Whether the reader takes the folder holding the file (image folders) rather than the file. */
        boolean readsFolder() {
            return parser == Parser.IMAGE_FOLDER;
        }
    }

    /** What a run did. */
    record Report(String target, long seed, int iterations, int parsed, int refused, long nanos, long maxAllocated,
            long meanInputBytes, long slowestNanos, java.util.Map<String, Integer> refusalKinds, List<String> failures) {
        @Override
        public String toString() {
            return String.format("fuzz %-16s seed %d: %d inputs in %.1f s (%.0f/s), %d parsed, %d refused, "
                    + "%d kinds of refusal, mean input %d bytes, slowest parse %.1f ms, max allocation %.1f MiB, %d failures%s",
                    target, seed, iterations, nanos / 1e9, iterations / (nanos / 1e9), parsed, refused, refusalKinds.size(),
                    meanInputBytes, slowestNanos / 1e6,
                    maxAllocated / 1048576.0, failures.size(),
                    failures.isEmpty() ? "" : ":\n  " + String.join("\n  ", failures));
        }
    }

    private Fuzzer() {
    }

    static Report run(Target t, long seed, int maxIterations, Duration budget, Path workDir, Path failureDir) {
        Mutator m = new Mutator(seed, t.format());
        List<byte[]> pool = new ArrayList<>(t.seeds());
        List<String> failures = new ArrayList<>();
        Path input = workDir.resolve(t.fileName());
        Path target = t.readsFolder() ? input.getParent() : input;
        try {
            Files.createDirectories(input.getParent());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        int parsed = 0;
        int refused = 0;
        long maxAllocated = 0;
        long totalBytes = 0;
        java.util.Map<String, Integer> kinds = new java.util.TreeMap<>();
        long slowest = 0;
        long start = System.nanoTime();
        long deadline = start + budget.toNanos();
        int i = 0;
        Guard.Worker worker = new Guard.Worker();
        for (; i < maxIterations && System.nanoTime() < deadline && failures.size() < MAX_FAILURES; i++) {
            byte[] mutant = m.mutate(pool.get(m.pick(pool.size())), pool.get(m.pick(pool.size())));
            if (mutant.length > MAX_INPUT) {
                mutant = Arrays.copyOf(mutant, MAX_INPUT);
            }
            byte[] bytes = t.wrap() == null ? mutant : t.wrap().apply(mutant);
            totalBytes += bytes.length;
            write(input, bytes);
            String failure;
            Guard.Outcome o = worker.run(t.parser(), target, TIMEOUT);
            if (o == null) {
                failure = "timeout: no answer within " + TIMEOUT.toMillis() + " ms (hang?)";
            } else {
                maxAllocated = Math.max(maxAllocated, o.allocated());
                slowest = Math.max(slowest, o.nanos());
                Throwable thrown = o.thrown();
                if (o.allocated() > Guard.ALLOCATION_LIMIT) {
                    failure = "allocated " + o.heapBytes() + " heap + " + o.directBytes() + " direct bytes";
                } else if (thrown == null) {
                    parsed++;
                    failure = null;
                    if (pool.size() < MAX_POOL && m.chance(8)) {
                        pool.add(mutant); // parsed mutants widen the seed pool
                    }
                } else if (t.parser().declares(thrown)) {
                    refused++;
                    kinds.merge(kind(thrown, input), 1, Integer::sum);
                    failure = null;
                } else {
                    failure = "undeclared " + stackTrace(thrown);
                }
            }
            if (failure != null) {
                failures.add(save(failureDir, t.name() + "-seed" + seed + "-" + i, bytes, failure));
            }
        }
        worker.close();
        return new Report(t.name(), seed, i, parsed, refused, System.nanoTime() - start, maxAllocated,
                i == 0 ? 0 : totalBytes / i, slowest, kinds, failures);
    }

    /** The refusal's message without the file name, numbers and quoted names: which check fired. */
    static String kind(Throwable t, Path input) {
        String m = String.valueOf(t.getMessage()).replace(input.toString(), "").replaceFirst("^: ", "");
        m = m.replaceAll("\"[^\"]*\"", "\"…\"").replaceAll("0x[0-9A-Fa-f]+", "0x#").replaceAll("-?\\d+", "#");
        return t.getClass().getSimpleName() + ": " + (m.length() > 60 ? m.substring(0, 60) : m);
    }

    /** The refusal kinds, most frequent first, one per line. */
    static String kinds(Report r) {
        StringBuilder sb = new StringBuilder();
        r.refusalKinds().entrySet().stream().sorted((a, b) -> b.getValue() - a.getValue())
                .forEach(e -> sb.append(String.format("  %6d  %s%n", e.getValue(), e.getKey())));
        return sb.toString();
    }

    private static void write(Path p, byte[] bytes) {
        try {
            Files.write(p, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String save(Path dir, String name, byte[] bytes, String why) {
        try {
            Files.createDirectories(dir);
            Files.write(dir.resolve(name + ".bin"), bytes);
            Files.writeString(dir.resolve(name + ".txt"), why, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String first = why.lines().findFirst().orElse(why);
        return dir.resolve(name + ".bin") + ": " + first;
    }

    private static String stackTrace(Throwable t) {
        StringWriter w = new StringWriter();
        t.printStackTrace(new PrintWriter(w));
        return w.toString();
    }
}
