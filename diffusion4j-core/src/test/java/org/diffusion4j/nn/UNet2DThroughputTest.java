package org.diffusion4j.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Training-step throughput of the tiny config (forward + backward of the L_simple-style loss, no
 * optimizer), and flat memory across steps. Not part of the default suite; run with
 * {@code mvn -pl diffusion4j-core test -Dtest=UNet2DThroughputTest -DexcludedGroups= -Dgroups=long
 * -Dsurefire.failIfNoSpecifiedTests=false} (batch: {@code -Dbatch=64}, steps: {@code -Dsteps=20}).
 */
@Tag("long")
class UNet2DThroughputTest {

    @Test
    void tinyConfigTrainingStep() {
        int batch = Integer.getInteger("batch", 64);
        int steps = Integer.getInteger("steps", 20);
        UNet2DConfig c = UNet2DConfig.tiny();
        try (NDManager manager = NDManager.newBaseManager(); UNet2DModel model = UNet2DModel.create(c, manager, 0)) {
            model.setTraining(true);
            int arrays = -1;
            long total = 0;
            for (int step = 0; step < steps + 3; step++) {
                long t0 = System.nanoTime();
                try (NDManager s = manager.newSubManager()) {
                    NDArray x = s.randomNormal(new Shape(batch, c.inChannels(), c.sampleSize(), c.sampleSize()));
                    NDArray eps = s.randomNormal(x.getShape());
                    NDArray t = s.randomInteger(0, 1000, new Shape(batch), DataType.INT64);
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        gc.backward(model.forward(x.add(eps), t).sub(eps).square().mean());
                    }
                }
                long dt = System.nanoTime() - t0;
                if (step == 2) {
                    arrays = manager.getManagedArrays().size();
                }
                if (step >= 3) {
                    total += dt;
                }
            }
            double ms = total / 1e6 / steps;
            System.out.printf("UNet2DModel tiny (%,d params) batch %d: %.1f ms/step, %.1f images/s (threads %s)%n",
                    model.numParameters(), batch, ms, batch * 1000 / ms, System.getProperty("ai.djl.pytorch.num_threads"));
            assertEquals(arrays, manager.getManagedArrays().size(), "no arrays accumulate across steps");
        }
    }
}
