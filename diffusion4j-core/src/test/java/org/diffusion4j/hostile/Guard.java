package org.diffusion4j.hostile;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Runs one parse of one untrusted input on its own thread, under a wall-clock timeout
 * ({@code assertTimeoutPreemptively}), and measures what it cost: heap bytes allocated by that
 * thread (HotSpot's per-thread allocation counter, so other threads and GC timing do not blur it)
 * and growth of the JVM's direct-buffer pool.
 */
final class Guard {
    /** No single hostile input may make a parser allocate more than this. */
    static final long ALLOCATION_LIMIT = 64L << 20;

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private Guard() {
    }

    /** What one parse did: a value or a throwable (never both), and its cost. */
    record Outcome(Object value, Throwable thrown, long heapBytes, long directBytes, long nanos) {
        long allocated() {
            return heapBytes + Math.max(0, directBytes);
        }
    }

    /**
     * Parses {@code input} with {@code parser}; every Throwable is captured, none escapes. A parse
     * still running after {@code timeout} fails the calling test (AssertionFailedError).
     */
    static Outcome run(Parser parser, Path input, Duration timeout) {
        return assertTimeoutPreemptively(timeout, () -> measure(parser, input),
                () -> "no answer within " + timeout.toMillis() + " ms (hang?) from " + parser + " on " + input);
    }

    /** Parses on the calling thread and measures what that thread allocated. */
    static Outcome measure(Parser parser, Path input) {
        long direct0 = directUsed();
        long heap0 = THREADS.getCurrentThreadAllocatedBytes();
        long t0 = System.nanoTime();
        Object value = null;
        Throwable thrown = null;
        try {
            value = parser.parse(input);
        } catch (Throwable t) { // OutOfMemoryError and StackOverflowError too: the caller judges
            thrown = t;
        }
        long nanos = System.nanoTime() - t0;
        long heap = THREADS.getCurrentThreadAllocatedBytes() - heap0;
        return new Outcome(value, thrown, heap, directUsed() - direct0, nanos);
    }

    /**
     * A reusable worker thread for many parses, each under its own timeout: what
     * {@code assertTimeoutPreemptively} does, without starting a thread per input (the fuzzer runs
     * thousands). A parse that times out leaves its worker behind (interrupted) and a fresh one
     * takes over.
     */
    static final class Worker implements AutoCloseable {
        private java.util.concurrent.ExecutorService executor = newExecutor();

        private static java.util.concurrent.ExecutorService newExecutor() {
            return java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "hostile-parse");
                t.setDaemon(true);
                return t;
            });
        }

        /** The outcome, or {@code null} when the parse did not answer within {@code timeout}. */
        Outcome run(Parser parser, Path input, Duration timeout) {
            java.util.concurrent.Future<Outcome> f = executor.submit(() -> measure(parser, input));
            try {
                return f.get(timeout.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                f.cancel(true);
                executor.shutdownNow();
                executor = newExecutor();
                return null;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IllegalStateException(e.getCause()); // measure() catches everything; not reached
            }
        }

        @Override
        public void close() {
            executor.shutdownNow();
        }
    }

    private static final BufferPoolMXBean DIRECT = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
            .filter(p -> p.getName().equals("direct")).findFirst().orElse(null);

    private static long directUsed() {
        return DIRECT == null ? 0 : DIRECT.getMemoryUsed();
    }
}
