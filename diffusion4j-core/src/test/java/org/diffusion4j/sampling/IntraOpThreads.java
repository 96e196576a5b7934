package org.diffusion4j.sampling;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * {@code @ExtendWith(IntraOpThreads.class)}: runs a test class with one libtorch intra-op thread and restores
 * the previous count after. The sampling tests run many small tensor ops, whose time is dominated by OpenMP
 * synchronisation with more threads (and explodes on a shared, oversubscribed machine: the UNet end-to-end
 * loops took 315 s with two threads and 18 s with one at load 12 on 2 cores).
 */
public final class IntraOpThreads implements BeforeAllCallback, AfterAllCallback {

    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(IntraOpThreads.class);

    @Override
    public void beforeAll(ExtensionContext context) {
        Engine.getInstance(); // loads the native library
        context.getStore(NS).put("previous", JniUtils.getNumThreads());
        JniUtils.setNumThreads(1);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        Integer previous = context.getStore(NS).get("previous", Integer.class);
        if (previous != null) {
            JniUtils.setNumThreads(previous);
        }
    }
}
