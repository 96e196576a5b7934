package org.diffusion4j.train;

import org.diffusion4j.train.crash.TrainingChild;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.diffusion4j.diffusion.NoiseSource;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Exact resume needs a deterministic backward pass. The same forward and backward of the U-Net
 * (attention, dropout) must give the same gradients bit for bit, even when a garbage collection
 * runs and freed native memory is reused between the forward and the backward pass.
 *
 * <p>This guards a use-after-free found by {@link SigkillResumeTest}: DJL's {@code x.mul(Number)}
 * multiplies by a temporary tensor over a Java direct buffer and closes it at once, but autograd
 * keeps that tensor for the backward pass; once the garbage collector had freed the buffer, the
 * attention's q·(1/√d) backward read whatever was there, and two runs of the same seed diverged.
 */
@Tag("kernel")
class GradientDeterminismTest {

    @Test
    void backwardIsBitIdenticalWhenFreedMemoryIsReusedBeforeIt() throws InterruptedException {
        TrainConfig config = TrainingChild.config(100, 2);
        try (NDManager manager = NDManager.newBaseManager()) {
            UNetTrainable model = Training.newModel(config, manager);
            Map<String, NDArray> parameters = model.parameters();
            parameters.values().forEach(p -> p.setRequiresGradient(true));
            List<Map<String, float[]>> gradients = new ArrayList<>();
            List<Float> losses = new ArrayList<>();
            for (int rep = 0; rep < 3; rep++) {
                try (NDManager step = manager.newSubManager()) {
                    Shape shape = new Shape(4, 1, DiffusionTrainerTest.SIZE, DiffusionTrainerTest.SIZE);
                    NDArray x = NoiseSource.seeded(1).normal(step, shape, 0);
                    NDArray target = NoiseSource.seeded(2).normal(step, shape, 0);
                    NDArray t = step.create(new long[] {10, 200, 500, 900});
                    Engine.getInstance().setRandomSeed(1234);
                    model.setTraining(true);
                    try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                        NDArray loss = model.forward(x, t, null).sub(target).square().mean();
                        losses.add(loss.getFloat());
                        reuseFreedNativeMemory();
                        collector.backward(loss);
                    }
                    Map<String, NDArray> g = new java.util.LinkedHashMap<>();
                    parameters.forEach((name, p) -> {
                        NDArray grad = p.getGradient();
                        grad.attach(step);
                        g.put(name, grad);
                    });
                    gradients.add(TensorMaps.toFloats(g));
                } finally {
                    parameters.values().forEach(p -> JniUtils.zeroGrad((PtNDArray) p));
                }
            }
            assertEquals(losses.get(0), losses.get(2));
            for (int rep = 1; rep < gradients.size(); rep++) {
                for (String name : parameters.keySet()) {
                    assertArrayEquals(gradients.get(0).get(name), gradients.get(rep).get(name), 0f,
                            "gradient of " + name + ", repetition " + rep);
                }
            }
        }
    }

    /** Lets the garbage collector free unreachable direct buffers, then allocates and scribbles over new ones. */
    private static void reuseFreedNativeMemory() throws InterruptedException {
        System.gc();
        Thread.sleep(20);
        for (int size = 4; size <= 1 << 16; size = size * 3 / 2 + 4) { // small scalars to whole activations
            for (int i = 0; i < 8; i++) {
                ByteBuffer b = ByteBuffer.allocateDirect(size);
                while (b.hasRemaining()) {
                    b.put((byte) 0x7f);
                }
            }
        }
    }
}
