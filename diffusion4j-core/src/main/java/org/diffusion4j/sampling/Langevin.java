package org.diffusion4j.sampling;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.diffusion4j.diffusion.Denoiser;
import org.diffusion4j.diffusion.NoiseSource;
import org.diffusion4j.schedule.NoiseSchedule;

/**
 * Annealed Langevin dynamics (Song &amp; Ermon 2019, Algorithm 1) over the noise levels of a DDPM
 * schedule, in the variance-exploding view x̃ = x/√ᾱ, σ = √((1−ᾱ)/ᾱ), where the score of the
 * σ-perturbed data is ∇ log p_σ(x̃) = −ε̂/σ.
 *
 * <p>Levels σ_1 &gt; … &gt; σ_L form a geometric sequence from σ(T−1) to σ(0), as in the paper, each
 * moved to the nearest training timestep t_i (log-σ interpolation, rounded) so that any network can
 * be called there; σ_i is then σ(t_i) exactly (near t = 0, where adjacent training σ's differ by
 * more than the geometric ratio, neighbouring levels can share a timestep: that level simply gets
 * more steps). At level i, with α_i = ε σ_i²/σ_L², each of the M steps is
 * x̃ ← x̃ + (α_i/2) ∇ log p_{σ_i}(x̃) + √α_i z. The chain starts from x̃ = x_T √(1+σ_1²) (the σ_1
 * marginal of unit-variance data) and returns x̃ after the last level, with no final denoising, so
 * samples keep noise of size σ_L = σ(0) (0.01 for the linear DDPM schedule).
 *
 * <p>Defaults ({@link #DEFAULT_EPSILON}, {@link #DEFAULT_STEPS_PER_LEVEL}): the paper's ε = 2·10⁻⁵,
 * T = 100 were chosen for σ from 1 to 0.01 over 10 levels; the DDPM range (σ from 157 to 0.01) needs
 * more levels, and below σ ≈ data scale the steps α_i ∝ σ_i² are too small to mix, so the variance
 * of the last well-mixed level remains. For N(μ, s²) data, with 50 levels the variance excess is
 * ≈ 1% with ε = 10⁻⁴, M = 50 (ε = 2·10⁻⁵: ≈ 2% at M = 100, 4% at M = 50), hence ε = 10⁻⁴,
 * M = 50. One network evaluation and one noise draw per step: L·M evaluations.
 */
public final class Langevin implements Sampler {

    /** ε of Algorithm 1 (the step at the last level σ_L). */
    public static final double DEFAULT_EPSILON = 1e-4;
    /** T of Algorithm 1, the steps per noise level. */
    public static final int DEFAULT_STEPS_PER_LEVEL = 50;

    private final NoiseSchedule schedule;
    private final int[] levels;
    private final int stepsPerLevel;
    private final double epsilon;

    /**
     * @param levels L, the number of noise levels
     * @param stepsPerLevel M, the Langevin steps at each level
     * @param epsilon ε, the step size at the last level
     */
    public Langevin(NoiseSchedule schedule, int levels, int stepsPerLevel, double epsilon) {
        int T = schedule.numTimesteps();
        if (levels < 1 || stepsPerLevel < 1 || !(epsilon > 0)) {
            throw new IllegalArgumentException("langevin needs levels (steps) >= 1, steps per level (corrector_steps) >= 1 and epsilon > 0, got "
                    + levels + ", " + stepsPerLevel + ", " + epsilon);
        }
        this.schedule = schedule;
        this.stepsPerLevel = stepsPerLevel;
        this.epsilon = epsilon;
        this.levels = new int[levels];
        double logMax = Math.log(schedule.sigma(T - 1));
        double logMin = Math.log(schedule.sigma(0));
        for (int i = 0; i < levels; i++) {
            double logSigma = levels == 1 ? logMin : logMax + i * (logMin - logMax) / (levels - 1);
            this.levels[i] = (int) Math.rint(Sigmas.sigmaToTimestep(schedule, Math.exp(logSigma)));
        }
    }

    /** Annealed Langevin with the default ε and steps per level. */
    public Langevin(NoiseSchedule schedule, int levels) {
        this(schedule, levels, DEFAULT_STEPS_PER_LEVEL, DEFAULT_EPSILON);
    }

    /**
     * Annealed Langevin with L = {@code steps} levels and M = {@code correctorSteps} steps per level
     * (the options' default of 1 is far too few here: pass {@value #DEFAULT_STEPS_PER_LEVEL}), ε =
     * {@link #DEFAULT_EPSILON}.
     */
    public Langevin(NoiseSchedule schedule, SamplerOptions options) {
        this(schedule, options.steps(), options.correctorSteps(), DEFAULT_EPSILON);
    }

    @Override
    public NDArray sample(Denoiser denoiser, NDArray xT, NoiseSource noise, SamplingListener listener) {
        NDManager manager = xT.getManager();
        double sigmaLast = schedule.sigma(levels[levels.length - 1]);
        int total = levels.length * stepsPerLevel;
        NDArray x = xT.mul(Math.sqrt(1 + sq(schedule.sigma(levels[0]))));
        int step = 0;
        for (int t : levels) {
            double sigma = schedule.sigma(t);
            double alpha = epsilon * sq(sigma / sigmaLast); // α_i = ε σ_i²/σ_L²
            for (int j = 0; j < stepsPerLevel; j++, step++) {
                try (NDManager sub = manager.newSubManager()) {
                    x.attach(sub);
                    NDArray epsilonHat = Euler.epsilon(denoiser, x, sigma, t);
                    NDArray score = epsilonHat.div(-sigma);
                    NDArray next = x.add(score.mul(alpha / 2))
                            .add(noise.normal(sub, x.getShape(), step).toType(x.getDataType(), false).mul(Math.sqrt(alpha)));
                    next.attach(manager);
                    listener.onStep(step, total, t, next, x.sub(epsilonHat.mul(sigma)));
                    x = next;
                }
            }
        }
        return x;
    }

    private static double sq(double v) {
        return v * v;
    }

    /** The training timesteps of the L noise levels, noisiest first. */
    public int[] levels() {
        return levels.clone();
    }

    @Override
    public int evaluations() {
        return levels.length * stepsPerLevel;
    }

    @Override
    public String name() {
        return "langevin";
    }
}
