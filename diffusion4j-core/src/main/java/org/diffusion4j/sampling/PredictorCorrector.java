package org.diffusion4j.sampling;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.diffusion4j.diffusion.Denoiser;
import org.diffusion4j.diffusion.NoiseSource;
import org.diffusion4j.diffusion.PredictionType;
import org.diffusion4j.schedule.NoiseSchedule;

/**
 * Predictor–corrector sampling for the VP-SDE (Song et al. 2021, Algorithm 3 of Appendix G): at each
 * grid timestep an ancestral predictor step followed by M Langevin corrector steps (Algorithm 5).
 *
 * <p>Predictor, from t to the next grid timestep t' (t' = −1, ᾱ = 1, after the last), with the
 * effective β = 1 − ᾱ_t/ᾱ_{t'} of the skipped steps (β = β_t on the full grid) and the score
 * s = −ε̂(x, t)/√(1−ᾱ_t): x ← (x + β s)/√(1−β) + √β z (the ancestral sampler of Song et al.'s code,
 * i.e. Ho et al.'s μ_θ with σ² = β). The last predictor step adds no noise and is followed by no
 * corrector, so the output is x̂₀ at the last grid timestep.
 *
 * <p>Corrector at t' (Algorithm 5): g = s(x, t'), z ~ N(0, I), step ε = 2 α_{t'} (r ‖z‖/‖g‖)² with
 * α_{t'} = 1 − β_{t'} of the training schedule and r the signal-to-noise ratio {@code snr};
 * x ← x + ε g + √(2ε) z. The norms are taken per image (the paper's per-sample algorithm; Song et
 * al.'s code averages them over the batch instead), so images of a batch stay independent.
 *
 * <p>n grid steps and M corrector steps cost n + M(n−1) evaluations; noise draws are numbered in
 * the order they are made.
 */
public final class PredictorCorrector implements Sampler {

    private final NoiseSchedule schedule;
    private final int[] timesteps;
    private final double snr;
    private final int correctorSteps;

    /**
     * @param snr the corrector's signal-to-noise ratio r (Song et al. used 0.16 for CIFAR-10)
     * @param correctorSteps M ≥ 0 Langevin steps after each predictor step (0 gives the plain
     *        ancestral sampler)
     */
    public PredictorCorrector(NoiseSchedule schedule, int[] timesteps, double snr, int correctorSteps) {
        if (!(snr > 0) || correctorSteps < 0) {
            throw new IllegalArgumentException("pc needs snr > 0 and corrector_steps >= 0, got snr " + snr
                    + " and corrector_steps " + correctorSteps);
        }
        this.schedule = schedule;
        this.timesteps = EulerMaruyama.checkTimesteps(schedule, timesteps);
        this.snr = snr;
        this.correctorSteps = correctorSteps;
    }

    /** Predictor–corrector over the options' steps, spacing and steps_offset, with their snr and corrector steps. */
    public PredictorCorrector(NoiseSchedule schedule, SamplerOptions options) {
        this(schedule, SamplingMath.timesteps(schedule, options), options.snr(), options.correctorSteps());
    }

    @Override
    public NDArray sample(Denoiser denoiser, NDArray xT, NoiseSource noise, SamplingListener listener) {
        NDManager manager = xT.getManager();
        PredictionType type = denoiser.predictionType();
        int n = timesteps.length;
        long draw = 0;
        NDArray x = xT.duplicate();
        for (int k = 0; k < n; k++) {
            try (NDManager sub = manager.newSubManager()) {
                x.attach(sub);
                int t = timesteps[k];
                boolean last = k + 1 == n;
                double alphaCumprod = schedule.alphaCumprod(t);
                double beta = 1 - alphaCumprod / schedule.alphaCumprodOrOne(last ? -1 : timesteps[k + 1]);
                NDArray out = denoiser.predict(x, t);
                NDArray score = type.predictedEpsilon(out, x, alphaCumprod).div(-Math.sqrt(1 - alphaCumprod));
                NDArray next = x.add(score.mul(beta)).div(Math.sqrt(1 - beta));
                if (!last) {
                    next = next.add(noise.normal(sub, x.getShape(), draw++).toType(x.getDataType(), false).mul(Math.sqrt(beta)));
                    for (int j = 0; j < correctorSteps; j++) {
                        next = correct(denoiser, next, timesteps[k + 1], noise.normal(sub, x.getShape(), draw++).toType(x.getDataType(), false));
                    }
                }
                next.attach(manager);
                listener.onStep(k, n, t, next, type.predictedX0(out, x, alphaCumprod));
                x = next;
            }
        }
        return x;
    }

    /** One Langevin corrector step at timestep t (Algorithm 5 of Song et al. 2021). */
    private NDArray correct(Denoiser denoiser, NDArray x, int t, NDArray z) {
        double alphaCumprod = schedule.alphaCumprod(t);
        NDArray out = denoiser.predict(x, t);
        NDArray g = denoiser.predictionType().predictedEpsilon(out, x, alphaCumprod).div(-Math.sqrt(1 - alphaCumprod));
        NDArray ratio = perImageNorm(z).div(perImageNorm(g).maximum(1e-30)); // ‖z‖/‖g‖
        NDArray step = ratio.square().mul(2 * schedule.alpha(t) * snr * snr); // ε, one per image
        return x.add(g.mul(step)).add(z.mul(step.mul(2).sqrt()));
    }

    /** ‖a_i‖₂ of each image, shaped (N, 1, …, 1) to broadcast. */
    private static NDArray perImageNorm(NDArray a) {
        Shape shape = a.getShape();
        int[] axes = new int[shape.dimension() - 1];
        for (int i = 0; i < axes.length; i++) {
            axes[i] = i + 1;
        }
        return a.square().sum(axes, true).sqrt();
    }

    @Override
    public int evaluations() {
        return timesteps.length + correctorSteps * (timesteps.length - 1);
    }

    @Override
    public String name() {
        return "pc";
    }
}
