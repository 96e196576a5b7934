package org.diffusion4j.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.diffusion4j.data.Batcher;
import org.diffusion4j.data.ImageDataset;
import org.diffusion4j.diffusion.NoiseSource;
import org.diffusion4j.diffusion.Scalar;
import org.diffusion4j.nn.ActivationProbe;
import org.diffusion4j.nn.AutoencoderKL;

/**
 * Training of the KL-regularised auto-encoder of latent diffusion (Rombach et al. 2022, Sec. 3 and App. G): each step
 * encodes a batch x to q(z | x) = N(μ, σ²), draws z = μ + σ ε (the reparameterisation of Kingma and Welling 2014),
 * decodes x̂, and AdamW follows
 * <pre>
 *   L = mean |x − x̂|  (or mean (x − x̂)², {@link Reconstruction#L2})  +  β · mean_batch KL(q(z | x) ‖ N(0, I)),
 *   KL = ½ Σ_latent (μ² + σ² − 1 − log σ²)
 * </pre>
 * — diffusers' {@code DiagonalGaussianDistribution.kl()} summed over the latent and averaged over the batch, with LDM's small
 * β (1e-6) by default; the patch discriminator of LDM is not used. Batches and ε are a function of (seed, step); every step
 * runs in its own NDManager.
 */
public final class VaeTrainer {

    /** The reconstruction term. */
    public enum Reconstruction {
        L1, L2;

        public static Reconstruction parse(String s) {
            return switch (s.trim().toLowerCase(Locale.ROOT)) {
                case "l1" -> L1;
                case "l2" -> L2;
                default -> throw new IllegalArgumentException("--loss " + s + ": use l1 or l2");
            };
        }
    }

    /** The training settings. */
    public record Options(int batchSize, double learningRate, double klWeight, Reconstruction reconstruction, long seed) {
        public Options {
            if (batchSize < 1) {
                throw new IllegalArgumentException("--batch must be at least 1, got " + batchSize);
            }
            if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
                throw new IllegalArgumentException("--lr must be a positive number, got " + learningRate);
            }
            if (!(klWeight >= 0) || Double.isInfinite(klWeight)) {
                throw new IllegalArgumentException("--kl-weight must be a number >= 0, got " + klWeight);
            }
        }
    }

    /** One step's loss and its two terms (the KL before weighting). */
    public record StepLoss(double loss, double reconstruction, double kl) {}

    private final AutoencoderKL model;
    private final ImageDataset data;
    private final Options options;
    private final NDManager manager;
    private final AdamW optimizer;
    private long step;

    public VaeTrainer(AutoencoderKL model, ImageDataset data, Options options, NDManager manager) {
        if (data.channels() != model.config().inChannels() || data.height() % model.config().downsampleFactor() != 0) {
            throw new IllegalArgumentException(data.name() + ": " + data.channels() + "x" + data.height() + "x" + data.width()
                    + " images do not fit an auto-encoder of " + model.config().inChannels() + " channels and factor "
                    + model.config().downsampleFactor());
        }
        this.model = model;
        this.data = data;
        this.options = options;
        this.manager = manager;
        this.optimizer = new AdamW(model.parameters(), manager, 0.9, 0.999, 1e-8, 0.0);
    }

    /** One step; returns its loss. */
    public StepLoss trainStep() {
        SplittableRandom r = new SplittableRandom(options.seed() * 0x9E3779B97F4A7C15L + step * 0xC2B2AE3D27D4EB4FL);
        int[] rows = new int[options.batchSize()];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = r.nextInt(data.size());
        }
        StepLoss result;
        try (NDManager sub = manager.newSubManager()) {
            NDArray x = images(sub, data, rows);
            NDArray loss;
            NDArray rec;
            NDArray kl;
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                AutoencoderKL.LatentDistribution q = model.distribution(x, ActivationProbe.NONE);
                NDArray epsilon = NoiseSource.seeded(options.seed() ^ 0x5DEECE66DL).normal(sub, q.mean().getShape(), step);
                NDArray z = q.mean().add(q.std().mul(epsilon));
                NDArray xHat = model.reconstruct(z, ActivationProbe.NONE);
                NDArray diff = x.sub(xHat);
                rec = options.reconstruction() == Reconstruction.L1 ? diff.abs().mean() : diff.square().mean();
                kl = klDivergence(q);
                loss = rec.add(Scalar.times(kl, options.klWeight()));
                collector.backward(loss);
            }
            result = new StepLoss(loss.getFloat(), rec.getFloat(), kl.getFloat());
            Map<String, NDArray> gradients = new LinkedHashMap<>();
            for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
                NDArray g = e.getValue().getGradient();
                g.attach(sub);
                gradients.put(e.getKey(), g);
            }
            double norm = GradientClipping.globalNorm(gradients.values(), sub);
            if (!Double.isFinite(norm) || !Double.isFinite(result.loss())) {
                throw new TrainingDivergedException("auto-encoder step " + step + ": loss " + result.loss() + ", gradient norm " + norm
                        + "; lower --lr");
            }
            GradientClipping.clip(gradients.values(), norm, 1.0);
            optimizer.update(model.parameters(), gradients, options.learningRate(), sub);
            for (NDArray p : model.parameters().values()) {
                ai.djl.pytorch.jni.JniUtils.zeroGrad((ai.djl.pytorch.engine.PtNDArray) p);
            }
        }
        step++;
        return result;
    }

    /**
     * Fine-tuning: copies the weights of {@code from} (an auto-encoder loaded from a folder, same architecture) into the
     * trainable {@code model}, which then trains with a fresh optimizer.
     *
     * @throws IllegalArgumentException when the two do not hold the same tensors
     */
    public static void initialiseFrom(AutoencoderKL model, AutoencoderKL from, String what) {
        Map<String, float[]> values = new LinkedHashMap<>();
        from.parameters().forEach((name, a) -> values.put(name, a.toFloatArray()));
        TensorMaps.copyInto(model.parameters(), values, what);
    }

    /** KL(N(μ, σ²) ‖ N(0, I)) summed over each image's latent, averaged over the batch (diffusers' {@code kl().mean()}). */
    static NDArray klDivergence(AutoencoderKL.LatentDistribution q) {
        NDArray perElement = q.mean().square().add(q.logvar().exp()).sub(1f).sub(q.logvar());
        return Scalar.times(perElement.sum(new int[] {1, 2, 3}).mean(), 0.5);
    }

    public long step() {
        return step;
    }

    /**
     * LDM's scale of the latents (Sec. 4.3.2 and App. G): 1 / the standard deviation of z ~ q(z | x) over the first
     * {@code n} images of {@code data}, so that {@code scaling_factor · z} has unit variance for the diffusion model.
     */
    public static double scalingFactor(AutoencoderKL model, ImageDataset data, int n, long seed, NDManager manager) {
        int count = Math.min(n, data.size());
        double sum = 0;
        double sq = 0;
        long elements = 0;
        for (int from = 0; from < count; from += 64) {
            int to = Math.min(count, from + 64);
            try (NDManager sub = manager.newSubManager()) {
                AutoencoderKL.LatentDistribution q = model.encode(images(sub, data, range(from, to)), ActivationProbe.NONE);
                NDArray z = q.mean().add(q.std().mul(NoiseSource.seeded(seed).normal(sub, q.mean().getShape(), from)));
                for (float v : z.toFloatArray()) {
                    sum += v;
                    sq += (double) v * v;
                    elements++;
                }
            }
        }
        double mean = sum / elements;
        return 1 / Math.sqrt(sq / elements - mean * mean);
    }

    /**
     * Reconstructions decode(μ) of the first {@code n} images of {@code data}, NCHW floats in the model's range, and their PSNR
     * in dB over pixels in [0, 1] (10 log₁₀(1 / MSE), pixels clamped).
     */
    public record Reconstructions(float[] originals, float[] reconstructions, long[] shape, double psnr) {}

    public static Reconstructions reconstruct(AutoencoderKL model, ImageDataset data, int n, NDManager manager) {
        int count = Math.min(n, data.size());
        int per = data.imageBytes();
        float[] originals = new float[count * per];
        float[] out = new float[count * per];
        for (int from = 0; from < count; from += 64) {
            int to = Math.min(count, from + 64);
            try (NDManager sub = manager.newSubManager()) {
                NDArray x = images(sub, data, range(from, to));
                NDArray xHat = model.decode(model.encode(x, ActivationProbe.NONE).mean(), ActivationProbe.NONE);
                System.arraycopy(x.toFloatArray(), 0, originals, from * per, (to - from) * per);
                System.arraycopy(xHat.toFloatArray(), 0, out, from * per, (to - from) * per);
            }
        }
        double mse = 0;
        for (int i = 0; i < out.length; i++) {
            double a = (originals[i] + 1) / 2;
            double b = (Math.max(-1, Math.min(1, out[i])) + 1) / 2;
            mse += (a - b) * (a - b) / out.length;
        }
        return new Reconstructions(originals, out, new long[] {count, data.channels(), data.height(), data.width()},
                10 * Math.log10(1 / Math.max(mse, 1e-12)));
    }

    private static int[] range(int from, int to) {
        return java.util.stream.IntStream.range(from, to).toArray();
    }

    static NDArray images(NDManager m, ImageDataset d, int[] rows) {
        int per = d.imageBytes();
        float[] v = new float[rows.length * per];
        byte[] px = d.pixels();
        for (int i = 0; i < rows.length; i++) {
            for (int j = 0; j < per; j++) {
                v[i * per + j] = Batcher.toModelRange(px[rows[i] * per + j]);
            }
        }
        return m.create(v, new Shape(rows.length, d.channels(), d.height(), d.width()));
    }
}
