package org.diffusion4j.sampling;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.diffusion4j.diffusion.Denoiser;
import org.diffusion4j.diffusion.NoiseSource;
import org.diffusion4j.diffusion.PredictionType;
import org.diffusion4j.schedule.NoiseSchedule;

/**
 * Ancestral sampling of Ho et al. 2020, Algorithm 2, on a subset of n timesteps τ_1 &gt; … &gt; τ_n of the
 * T-step schedule, computed as diffusers' {@code DDPMScheduler.step} does. With s the timestep after t
 * (the next one of the sequence, −1 after the last, where ᾱ_{−1} = 1), each step
 * <ol>
 *   <li>treats the jump t → s as one forward step with α = ᾱ_t/ᾱ_s, β = 1 − α;</li>
 *   <li>predicts x̂₀ from the network output (ε: x̂₀ = (x_t − √(1−ᾱ_t) ε)/√ᾱ_t, Eq. 15; or x₀/v), then clips
 *       or thresholds it if asked;</li>
 *   <li>takes the mean of the forward-process posterior q(x_s | x_t, x̂₀) = N(μ̃, β̃ I) (Eq. 6), with
 *       μ̃ = √ᾱ_s β/(1−ᾱ_t) · x̂₀ + √α (1−ᾱ_s)/(1−ᾱ_t) · x_t (Eq. 7); for an unclipped x̂₀ this is the ε-form
 *       mean μ_θ = (x_t − β/√(1−ᾱ_t) · ε_θ)/√α of Eq. 11;</li>
 *   <li>adds σ z with σ² = β̃ = (1−ᾱ_s)/(1−ᾱ_t) · β (fixed_small, clamped at 1e-20) or σ² = β (fixed_large)
 *       (Sec. 3.2), z = draw i of the noise source — except at the last step, which adds no noise
 *       (Algorithm 2, line 3: z = 0 when t = 1).</li>
 * </ol>
 * With n = T this is Algorithm 2 exactly. For leading spacing (s = t − ⌊T/n⌋) it is diffusers' step;
 * diffusers always uses s = t − ⌊T/n⌋, so for trailing/linspace spacings whose gaps differ from ⌊T/n⌋
 * (and for its last step when t &gt; 0) it differs slightly from this, which follows the sequence.
 */
public final class Ddpm implements Sampler {

    private final NoiseSchedule schedule;
    private final SamplerOptions options;
    private final int[] timesteps;

    public Ddpm(NoiseSchedule schedule, SamplerOptions options) {
        if (options.varianceType().isLearned()) {
            throw new IllegalArgumentException("variance_type " + options.varianceType().diffusersName()
                    + " needs the network's variance output, which a Denoiser does not carry; sample with"
                    + " fixed_small or fixed_large (or with ddim)");
        }
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
                NDArray z = i < n - 1 ? noise.normal(sub, x.getShape(), i) : null;
                StepResult r = step(modelOutput, denoiser.predictionType(), x, t, prevT, z);
                NDArray next = hook.after(i, r.prevSample());
                listener.onStep(i, n, t, next, r.predictedX0());
                next.attach(caller);
                x = next;
            }
        }
        return x;
    }

    /**
     * One reverse step from timestep {@code t} to {@code prevT} (−1 for the end of the chain), given the network
     * output at (x, t). {@code z} is the standard normal draw, or null for no noise. Results are in x's manager.
     */
    public StepResult step(NDArray modelOutput, PredictionType predictionType, NDArray x, int t, int prevT, NDArray z) {
        double alphaCumprod = schedule.alphaCumprod(t);
        double alphaCumprodPrev = schedule.alphaCumprodOrOne(prevT);
        double alpha = alphaCumprod / alphaCumprodPrev;
        double beta = 1 - alpha;
        NDArray predictedX0 = predictionType.predictedX0(modelOutput, x, alphaCumprod);
        predictedX0 = SamplingMath.processPredictedX0(predictedX0, options);
        // Eq. 7: μ̃ = c₁ x̂₀ + c₂ x_t
        double c1 = Math.sqrt(alphaCumprodPrev) * beta / (1 - alphaCumprod);
        double c2 = Math.sqrt(alpha) * (1 - alphaCumprodPrev) / (1 - alphaCumprod);
        NDArray mean = predictedX0.mul((float) c1).add(x.mul((float) c2));
        if (z == null) {
            return new StepResult(mean, predictedX0);
        }
        double variance = switch (options.varianceType()) {
            case FIXED_SMALL -> Math.max((1 - alphaCumprodPrev) / (1 - alphaCumprod) * beta, 1e-20);
            case FIXED_LARGE -> beta;
            default -> throw new IllegalStateException("learned variances are refused by the constructor");
        };
        return new StepResult(mean.add(z.mul((float) Math.sqrt(variance))), predictedX0);
    }

    @Override
    public int evaluations() {
        return timesteps.length;
    }

    @Override
    public String name() {
        return "ddpm";
    }

    /** The options this sampler was built with. */
    public SamplerOptions options() {
        return options;
    }
}
