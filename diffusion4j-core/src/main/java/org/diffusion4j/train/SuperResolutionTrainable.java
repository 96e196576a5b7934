package org.diffusion4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.Map;
import java.util.SplittableRandom;
import org.diffusion4j.diffusers.ModelFolder;
import org.diffusion4j.diffusers.UNet2DConfigJson;
import org.diffusion4j.diffusion.LowResolution;
import org.diffusion4j.diffusion.NoiseSource;
import org.diffusion4j.nn.UNet2DModel;
import org.diffusion4j.schedule.NoiseSchedule;

/**
 * The super-resolution stage of a cascade as a {@link TrainableModel} (SR3; CDM, Ho et al. 2022): a {@link UNet2DModel}
 * with 2C input channels sees x_t concatenated with the {@link LowResolution} condition of its own training image, and
 * the condition's augmentation level s as its class label. For each image s is drawn uniformly from
 * {0, …, {@code maxNoiseLevel}} (CDM's "truncated/non-truncated" augmentation; 0 is nearly clean), from the step's seed,
 * so a resumed run repeats it.
 */
public final class SuperResolutionTrainable implements TrainableModel {

    private final UNet2DModel unet;
    private final int factor;
    private final int maxNoiseLevel;
    private final NoiseSchedule schedule;
    private final long seed;

    public SuperResolutionTrainable(UNet2DModel unet, int factor, int maxNoiseLevel, NoiseSchedule schedule, long seed) {
        Integer levels = unet.config().numClassEmbeds();
        if (unet.config().inChannels() != 2 * unet.config().outChannels() || levels == null || levels <= maxNoiseLevel) {
            throw new IllegalArgumentException("a super-resolution U-Net needs in_channels = 2 x out_channels (x_t and the condition) "
                    + "and num_class_embeds > sr_max_noise_level " + maxNoiseLevel + " (one embedding per augmentation level); got "
                    + unet.config().inChannels() + ", " + unet.config().outChannels() + " and " + levels);
        }
        this.unet = unet;
        this.factor = factor;
        this.maxNoiseLevel = maxNoiseLevel;
        this.schedule = schedule;
        this.seed = seed;
    }

    public UNet2DModel unet() {
        return unet;
    }

    @Override
    public Map<String, NDArray> parameters() {
        return unet.parameters();
    }

    /**
     * The condition of training step {@code step} for the batch {@code x0}: the augmented, upsampled low-resolution images
     * [B, C, H, W] with a last channel holding each image's level s, [B, C+1, H, W].
     */
    @Override
    public NDArray imageCondition(NDArray x0, long step, NDManager manager) {
        int b = Math.toIntExact(x0.getShape().get(0));
        int[] levels = new int[b];
        SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + step);
        for (int i = 0; i < b; i++) {
            levels[i] = r.nextInt(maxNoiseLevel + 1);
        }
        NDArray low = LowResolution.downsample(x0, factor);
        NDArray augmented = LowResolution.augment(schedule, low, levels, NoiseSource.seeded(seed).normal(manager, low.getShape(), step));
        return pack(LowResolution.upsample(augmented, factor), levels);
    }

    /** [B, C, H, W] condition images and their levels as one [B, C+1, H, W] array (the levels' plane last). */
    public static NDArray pack(NDArray condition, int[] levels) {
        long[] s = condition.getShape().getShape();
        float[] l = new float[levels.length];
        for (int i = 0; i < l.length; i++) {
            l[i] = levels[i];
        }
        NDArray plane = condition.getManager().create(l).reshape(s[0], 1, 1, 1).repeat(2, s[2]).repeat(3, s[3]);
        return condition.concat(plane, 1);
    }

    @Override
    public NDArray forward(NDArray sample, NDArray timesteps, NDArray condition) {
        long c = sample.getShape().get(1);
        NDArray images = condition.get(":, 0:{}", c);
        NDArray labels = condition.get(":, {}, 0, 0", c).toType(DataType.INT64, false);
        return unet.forward(sample.concat(images, 1), timesteps, labels);
    }

    @Override
    public void setTraining(boolean training) {
        unet.setTraining(training);
    }

    @Override
    public boolean isImageConditional() {
        return true;
    }

    @Override
    public String configJson() {
        return UNet2DConfigJson.toJson(unet.config());
    }

    @Override
    public void writePipeline(ModelFolder output, java.util.List<String> classNames) throws java.io.IOException {
        output.writeSuperResolutionIndex(factor, maxNoiseLevel);
    }
}
