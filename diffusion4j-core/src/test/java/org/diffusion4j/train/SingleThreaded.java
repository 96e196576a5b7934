package org.diffusion4j.train;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Runs a test class with one libtorch intra-op thread, restoring the previous count afterwards. The
 * stand-in model's ops are tiny: splitting them over threads only adds synchronisation, which on a
 * loaded 2-core machine costs 5–10× (measured: 36 vs 151 ms per step).
 */
final class SingleThreaded implements BeforeAllCallback, AfterAllCallback {
    private int saved;

    @Override
    public void beforeAll(ExtensionContext context) {
        Engine.getInstance();
        saved = JniUtils.getNumThreads();
        JniUtils.setNumThreads(1);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        JniUtils.setNumThreads(saved);
    }
}
