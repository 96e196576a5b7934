package org.diffusion4j.nn;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;

/**
 * The test models are tiny: one libtorch intra-op thread avoids OpenMP synchronisation costs that
 * dominate their run time (and explode on a shared, oversubscribed machine: 54 s → 6 s for
 * UNet2DModelTest at load 18 on 2 cores). Test classes set it before and restore it after.
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
