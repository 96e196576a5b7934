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
        return assertTimeoutPreemptively(timeout, () -> {
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
        }, () -> "no answer within " + timeout.toMillis() + " ms (hang?) from " + parser + " on " + input);
    }

    private static long directUsed() {
        long used = 0;
        for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if (pool.getName().equals("direct")) {
                used += pool.getMemoryUsed();
            }
        }
        return used;
    }
}
