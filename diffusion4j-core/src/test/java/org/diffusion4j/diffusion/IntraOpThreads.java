package org.diffusion4j.diffusion;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;

/**
 * One libtorch intra-op thread for the bound tests: their arrays are small, and on a shared,
 * oversubscribed machine a two-thread op can wait a whole scheduler slice for its second thread
 * (a 65k-element multiply took 21 ms at load 20 on 2 cores, 0.24 ms below the 32k parallel grain).
 */
final class IntraOpThreads {
    private IntraOpThreads() {}

    /** Sets one thread; returns the previous count for {@link #restore(int)}. */
    static int useOne() {
        Engine.getInstance(); // loads the native library
        int previous = JniUtils.getNumThreads();
        JniUtils.setNumThreads(1);
        return previous;
    }

    static void restore(int previous) {
        JniUtils.setNumThreads(previous);
    }
}
