package org.diffusion4j.train.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Reproduces a DJL 0.35 hazard: {@code x.mul(Number)} on an array that requires a gradient creates the
 * scalar from a Java direct buffer ({@code torch::from_blob}) and closes it at once, but autograd keeps
 * the tensor for the backward pass; once the GC frees the buffer, backward reads freed memory and the
 * gradient is garbage (measured: 14 of 50 trials wrong, 0 or -Infinity instead of 0.125). Keep scalars
 * that enter an autograd graph as arrays in the step manager instead.
 * Run: java -cp ... org.diffusion4j.train.bench.ScalarHazardProbe
 */
public final class ScalarHazardProbe {
    public static void main(String[] args) {
        System.out.println("x.mul(0.125): bad trials " + trials(false) + " / 50");
        System.out.println("x.mul(scalar array kept in the step manager): bad trials " + trials(true) + " / 50");
    }

    static int trials(boolean keepScalar) {
        int bad = 0;
        for (int trial = 0; trial < 50; trial++) {
            try (NDManager m = NDManager.newBaseManager()) {
                NDArray w = m.create(new float[] {1f, 2f, 3f});
                w.setRequiresGradient(true);
                try (NDManager sub = m.newSubManager()) {
                    NDArray loss;
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        loss = (keepScalar ? w.mul(sub.create(0.125f)) : w.mul(0.125)).sum();
                        // churn: drop references to direct buffers, GC, allocate new ones over the freed memory
                        System.gc();
                        List<ByteBuffer> junk = new ArrayList<>();
                        for (int i = 0; i < 2000; i++) {
                            ByteBuffer b = ByteBuffer.allocateDirect(8);
                            b.putDouble(0, 1e30);
                            junk.add(b);
                        }
                        gc.backward(loss);
                    }
                    float[] g = w.getGradient().toFloatArray();
                    if (g[0] != 0.125f) {
                        bad++;
                    }
                }
            }
        }
        return bad;
    }
}
