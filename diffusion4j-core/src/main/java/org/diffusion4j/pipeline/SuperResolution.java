package org.diffusion4j.pipeline;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.diffusion4j.diffusers.ModelFolder;
import org.diffusion4j.diffusion.Denoiser;
import org.diffusion4j.diffusion.LowResolution;
import org.diffusion4j.diffusion.NoiseSource;
import org.diffusion4j.diffusion.PredictionType;
import org.diffusion4j.io.JsonFields;
import org.diffusion4j.nn.UNet2DModel;
import org.diffusion4j.schedule.NoiseSchedule;

/**
 * The super-resolution stage of a cascade (SR3, CDM) read from its {@code model_index.json}: how much smaller its
 * condition is ({@code factor}) and the largest conditioning-augmentation level it was trained with. Its denoiser
 * concatenates x_t with the upsampled low-resolution image, corrupted at level s, and gives s as the class label.
 *
 * @param factor the low-resolution image is this many times smaller per side
 * @param maxNoiseLevel the largest augmentation level of training; sampling should stay within it
 */
public record SuperResolution(int factor, int maxNoiseLevel) {

    /** The stage described by {@code dir/model_index.json}, or null when the folder is not a super-resolution stage. */
    static SuperResolution read(Path dir) throws IOException {
        Path index = new ModelFolder(dir).modelIndexFile();
        if (!Files.isRegularFile(index)) {
            return null;
        }
        JsonFields f = JsonFields.parse(Files.readString(index, StandardCharsets.UTF_8), index.toString());
        if (!f.has("_class_name") || !ModelFolder.SUPER_RESOLUTION.equals(f.string("_class_name", ""))) {
            return null;
        }
        int factor = f.integer("factor", 0);
        if (factor != 2 && factor != 4) {
            throw f.error("factor", "= " + factor + " is not supported", "use 2 or 4");
        }
        return new SuperResolution(factor, f.integer("max_noise_level", 0));
    }

    /**
     * The denoiser of images [from, to): image i is conditioned on {@code low[i mod m]} ({@code lowShape} = {m, C, h, w})
     * noised to {@code level} with its own draw i of a stream of {@code seed} (so the result does not depend on the batch),
     * upsampled and concatenated to x_t, with {@code level} as its class label.
     */
    Denoiser denoiser(UNet2DModel unet, PredictionType type, NoiseSchedule schedule, float[] low, long[] lowShape, int level, long seed,
            int from, int to) {
        int per = (int) (lowShape[1] * lowShape[2] * lowShape[3]);
        int m = (int) lowShape[0];
        float[] condition;
        Shape big;
        try (NDManager scratch = NDManager.newBaseManager()) {
            float[] rows = new float[(to - from) * per];
            for (int i = from; i < to; i++) {
                System.arraycopy(low, (i % m) * per, rows, (i - from) * per, per);
            }
            NDArray x = scratch.create(rows, new Shape(to - from, lowShape[1], lowShape[2], lowShape[3]));
            NoiseSource stream = NoiseSource.seeded(seed ^ 0x2545F4914F6CDD1DL);
            NDArray[] draws = new NDArray[to - from];
            for (int i = from; i < to; i++) {
                draws[i - from] = stream.normal(scratch, new Shape(1, lowShape[1], lowShape[2], lowShape[3]), i);
            }
            NDArray eps = ai.djl.ndarray.NDArrays.concat(new ai.djl.ndarray.NDList(draws), 0);
            int[] levels = new int[to - from];
            java.util.Arrays.fill(levels, level);
            NDArray up = LowResolution.upsample(level < 0 ? x : LowResolution.augment(schedule, x, levels, eps), factor);
            condition = up.toFloatArray();
            big = up.getShape();
        }
        long[] labels = new long[to - from];
        java.util.Arrays.fill(labels, Math.max(level, 0));
        Shape shape = big;
        return Denoiser.of(type, (x, t) -> {
            NDManager sm = x.getManager();
            return unet.predict(x.concat(sm.create(condition, shape), 1), sm.create((float) t), sm.create(labels));
        });
    }
}
