package org.diffusion4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.diffusion4j.data.Batch;
import org.diffusion4j.diffusion.NoiseSource;
import org.diffusion4j.diffusion.Scalar;
import org.diffusion4j.nn.ActivationProbe;
import org.diffusion4j.nn.AutoencoderKL;

/**
 * Latent diffusion's training data (Rombach et al. 2022, Sec. 3.3): each image batch of {@code pixels} encoded by the
 * frozen auto-encoder, z ~ q(z | x) = μ + σ ε, and scaled, {@code scaling_factor · z} — as diffusers' training scripts
 * do — so the U-Net, which does not know it is in a latent space, learns latents of about unit variance. ε is a function
 * of (seed, step), so a resumed run sees the same latents.
 */
public final class LatentTrainingData implements TrainingData {

    private final TrainingData pixels;
    private final AutoencoderKL vae;
    private final long seed;

    public LatentTrainingData(TrainingData pixels, AutoencoderKL vae, long seed) {
        this.pixels = pixels;
        this.vae = vae;
        this.seed = seed;
    }

    @Override
    public String name() {
        return pixels.name() + " (latents of the auto-encoder)";
    }

    @Override
    public int channels() {
        return vae.config().latentChannels();
    }

    @Override
    public int height() {
        return pixels.height() / vae.config().downsampleFactor();
    }

    @Override
    public int width() {
        return pixels.width() / vae.config().downsampleFactor();
    }

    @Override
    public int batchSize() {
        return pixels.batchSize();
    }

    @Override
    public int numClasses() {
        return pixels.numClasses();
    }

    @Override
    public java.util.List<String> classNames() {
        return pixels.classNames();
    }

    @Override
    public String caption(int index) {
        return pixels.caption(index);
    }

    @Override
    public Batch batchAt(NDManager manager, long step) {
        Batch batch = pixels.batchAt(manager, step);
        AutoencoderKL.LatentDistribution q = vae.encode(batch.images(), ActivationProbe.NONE);
        NDArray epsilon = NoiseSource.seeded(seed).normal(manager, q.mean().getShape(), step);
        NDArray z = Scalar.times(q.mean().add(q.std().mul(epsilon)), vae.config().scalingFactor());
        z.attach(manager);
        batch.images().close();
        return batch.withImages(z);
    }
}
