package org.diffusion4j.sampling;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.diffusion4j.diffusion.Denoiser;
import org.diffusion4j.diffusion.NoiseSource;
import org.diffusion4j.diffusion.PredictionType;
import org.diffusion4j.schedule.NoiseSchedule;

/**
 * DDIM, Song et al. 2021 ("Denoising Diffusion Implicit Models"), Eq. 12, on a sub-sequence τ of n timesteps
 * (Sec. 4.2), computed as diffusers' {@code DDIMScheduler.step} does. From x_t, with s the next timestep of τ:
 * <pre>
 *   x̂₀ = (x_t − √(1−ᾱ_t) ε̂)/√ᾱ_t                                    ("predicted x₀")
 *   x_s = √ᾱ_s x̂₀ + √(1 − ᾱ_s − σ_t²) · ε̂ + σ_t z                     (Eq. 12)
 *   σ_t(η) = η √((1−ᾱ_s)/(1−ᾱ_t)) √(1 − ᾱ_t/ᾱ_s)                      (Eq. 16)
 * </pre>
 * η = 0 is the deterministic DDIM sampler, η = 1 the DDPM posterior variance. After the last step ᾱ_s is 1
 * ({@code setAlphaToOne}) or ᾱ_0. x̂₀ may be clipped or thresholded; ε̂ stays the network's unless
 * {@code useClippedModelOutput}. Noise draw i (only when σ_t &gt; 0) is made at loop step i.
 * diffusers takes s = t − ⌊T/n⌋; this sampler takes the next timestep of the sequence, which is the same for
 * leading spacing and for trailing spacing when n divides T.
 */
public final class Ddim implements Sampler {

    private final NoiseSchedule schedule;
    private final SamplerOptions options;
    private final int[] timesteps;

    public Ddim(NoiseSchedule schedule, SamplerOptions options) {
        this.schedule = schedule;
        this.options = options;
        this.timesteps = SamplingMath.timesteps(schedule, options);
    }

    /** The timesteps visited, in sampling order. */
    public int[] timesteps() {
        return timesteps.clone();
    }

    @Override
    public NDArray sample(Denoiser denoiser, NDArray xT, NoiseSource noise, SamplingListener listener) {
        return sampleFrom(0, denoiser, xT, noise, listener, StepHook.NONE);
    }

    @Override
    public boolean edits() {
        return true;
    }

    @Override
    public int steps() {
        return timesteps.length;
    }

    @Override
    public NDArray noised(NDArray x0, NDArray epsilon, int step) {
        return SamplingMath.noised(schedule, timesteps, x0, epsilon, step);
    }

    @Override
    public NDArray sampleFrom(int from, Denoiser denoiser, NDArray start, NoiseSource noise, SamplingListener listener, StepHook hook) {
        NDManager caller = start.getManager();
        NDArray x = start;
        int n = timesteps.length;
        for (int i = from; i < n; i++) {
            try (NDManager sub = caller.newSubManager()) {
                SamplingMath.enterStep(x, start, sub);
                int t = timesteps[i];
                int prevT = SamplingMath.previousTimestep(timesteps, i);
                NDArray modelOutput = denoiser.predict(x, t);
                NDArray z = sigma(t, prevT) > 0 ? noise.normal(sub, x.getShape(), i) : null;
                StepResult r = step(modelOutput, denoiser.predictionType(), x, t, prevT, z);
                NDArray next = hook.after(i, r.prevSample());
                listener.onStep(i, n, t, next, r.predictedX0());
                next.attach(caller);
                x = next;
            }
        }
        return x;
    }

    /** ᾱ after timestep {@code prevT}: ᾱ_prevT, or for prevT = −1 one ({@code setAlphaToOne}) or ᾱ_0. */
    double alphaCumprodPrev(int prevT) {
        if (prevT >= 0) {
            return schedule.alphaCumprod(prevT);
        }
        return options.setAlphaToOne() ? 1.0 : schedule.alphaCumprod(0);
    }

    /** σ_t(η) of Eq. 16 for the jump t → prevT. */
    public double sigma(int t, int prevT) {
        if (options.eta() == 0) {
            return 0;
        }
        double alphaCumprod = schedule.alphaCumprod(t);
        double alphaCumprodPrev = alphaCumprodPrev(prevT);
        double variance = (1 - alphaCumprodPrev) / (1 - alphaCumprod) * (1 - alphaCumprod / alphaCumprodPrev);
        return options.eta() * Math.sqrt(Math.max(variance, 0));
    }

    /**
     * One DDIM step (Eq. 12) from {@code t} to {@code prevT} (−1 for the end), given the network output at
     * (x, t); {@code z} is the standard normal draw, or null when σ_t = 0. Results are in x's manager.
     */
    public StepResult step(NDArray modelOutput, PredictionType predictionType, NDArray x, int t, int prevT, NDArray z) {
        double alphaCumprod = schedule.alphaCumprod(t);
        double alphaCumprodPrev = alphaCumprodPrev(prevT);
        NDArray predictedX0 = predictionType.predictedX0(modelOutput, x, alphaCumprod);
        NDArray predictedEpsilon = predictionType.predictedEpsilon(modelOutput, x, alphaCumprod);
        predictedX0 = SamplingMath.processPredictedX0(predictedX0, options);
        if (options.useClippedModelOutput()) {
            predictedEpsilon = PredictionType.SAMPLE.predictedEpsilon(predictedX0, x, alphaCumprod);
        }
        double sigma = sigma(t, prevT);
        // "direction pointing to x_t": √(1 − ᾱ_s − σ_t²) ε̂
        double direction = Math.sqrt(Math.max(1 - alphaCumprodPrev - sigma * sigma, 0));
        NDArray prev = predictedX0.mul((float) Math.sqrt(alphaCumprodPrev)).add(predictedEpsilon.mul((float) direction));
        if (sigma > 0) {
            if (z == null) {
                throw new IllegalArgumentException("DDIM step " + t + " → " + prevT + " has σ = " + sigma
                        + " (η = " + options.eta() + ") and needs a noise draw, but none was given");
            }
            prev = prev.add(z.mul((float) sigma));
        }
        return new StepResult(prev, predictedX0);
    }

    @Override
    public int evaluations() {
        return timesteps.length;
    }

    @Override
    public String name() {
        return "ddim";
    }

    /** The options this sampler was built with. */
    public SamplerOptions options() {
        return options;
    }
}
