package org.diffusion4j.sampling;

import ai.djl.ndarray.NDArray;
import java.util.Arrays;
import org.diffusion4j.schedule.NoiseSchedule;
import org.diffusion4j.schedule.TimestepSpacing;

/**
 * The σ-grid of a few-step sampler: n timesteps t_0 &gt; … &gt; t_{n−1} at which the network is called
 * and n+1 noise levels σ_0 &gt; … &gt; σ_{n−1} &gt; σ_n = 0 in the variance-exploding view of
 * Karras et al. 2022 (x̃ = x/√ᾱ, σ = √((1−ᾱ)/ᾱ)), built exactly as diffusers' {@code set_timesteps}
 * builds them (EulerDiscreteScheduler and DPMSolverMultistepScheduler, diffusers 0.31,
 * {@code final_sigmas_type="zero"}). Scalars stay in double; only diffusers' float32 timesteps of
 * the Euler schedule are rounded to float, so that the network sees the same t.
 *
 * <p>Immutable; accessors return copies.
 */
public final class Sigmas {

    /** ρ of the Karras σ spacing (Eq. 5 of Karras et al. 2022), diffusers' hard-coded value. */
    public static final double KARRAS_RHO = 7.0;

    private final NoiseSchedule schedule;
    private final double[] timesteps;
    private final double[] sigmas;
    private final double initNoiseSigma;

    private Sigmas(NoiseSchedule schedule, double[] timesteps, double[] sigmas, double initNoiseSigma) {
        this.schedule = schedule;
        this.timesteps = timesteps;
        this.sigmas = sigmas;
        this.initNoiseSigma = initNoiseSigma;
    }

    /**
     * The Euler/Heun grid of {@code options}: steps, spacing, steps_offset, karras (ρ, σ_min, σ_max),
     * final σ. Only {@code interpolation_type="linear"} exists here: diffusers' {@code log_linear}
     * spaces n+1 σ's geometrically while keeping the linspace timesteps, so its network never sees the
     * timestep of its σ; it is refused.
     */
    public static Sigmas euler(NoiseSchedule schedule, SamplerOptions options) {
        if (options.interpolation() != SamplerOptions.SigmaInterpolation.LINEAR) {
            throw new IllegalArgumentException("interpolation_type " + options.interpolation()
                    + " is not supported by the Euler/Heun samplers; use linear (the diffusers default) or karras sigmas");
        }
        return euler(schedule, options.steps(), options.spacing(), options.stepsOffset(), options.karrasSigmas(),
                options.rho(), options.sigmaMin(), options.sigmaMax(), options.finalSigmaZero());
    }

    /** The DPM-Solver++ grid of {@code options}: steps, spacing, steps_offset, karras, final σ, lambda_min_clipped. */
    public static Sigmas dpmSolver(NoiseSchedule schedule, SamplerOptions options) {
        return dpmSolver(schedule, options.steps(), options.spacing(), options.stepsOffset(), options.karrasSigmas(),
                options.rho(), options.sigmaMin(), options.sigmaMax(), options.finalSigmaZero(), options.lambdaMinClipped());
    }

    /**
     * The grid of diffusers' EulerDiscreteScheduler ({@code interpolation_type="linear"}): timesteps
     * from the spacing as floats ({@code linspace}: np.linspace(0, T−1, n)[::-1], not rounded), σ
     * interpolated linearly in t over the training σ(t); with {@code karras} the σ's are respaced by
     * Eq. 5 of Karras et al. between the last and first of those (or {@code sigmaMin}/{@code sigmaMax}
     * when not NaN) and t is recovered by log-σ interpolation ({@link #sigmaToTimestep}). The final σ
     * is 0, or σ(0) when {@code finalSigmaZero} is false ({@code final_sigmas_type="sigma_min"}).
     * {@code init_noise_sigma} is σ_max for the {@code linspace}/{@code trailing} spacings and
     * √(σ_max²+1) for {@code leading}, as diffusers has it.
     */
    static Sigmas euler(NoiseSchedule schedule, int steps, TimestepSpacing spacing, int stepsOffset, boolean karras,
            double rho, double sigmaMin, double sigmaMax, boolean finalSigmaZero) {
        int T = schedule.numTimesteps();
        checkSteps(steps, T);
        double[] t = new double[steps];
        for (int k = 0; k < steps; k++) {
            t[k] = switch (spacing) {
                case LINSPACE -> (float) linspace(0, T - 1, steps, steps - 1 - k);
                case LEADING -> (double) (steps - 1 - k) * (T / steps) + stepsOffset;
                case TRAILING -> Math.rint(T - k * ((double) T / steps)) - 1;
            };
            checkTimestep(t[k], T, spacing, stepsOffset);
        }
        double[] s = new double[steps + 1];
        for (int k = 0; k < steps; k++) {
            s[k] = sigmaAt(schedule, t[k]);
        }
        if (karras) {
            double[] ks = karras(Double.isNaN(sigmaMin) ? s[steps - 1] : sigmaMin,
                    Double.isNaN(sigmaMax) ? s[0] : sigmaMax, steps, rho);
            for (int k = 0; k < steps; k++) {
                s[k] = ks[k];
                t[k] = (float) sigmaToTimestep(schedule, ks[k]);
            }
        }
        s[steps] = finalSigmaZero ? 0 : schedule.sigma(0);
        double max = Arrays.stream(s).max().orElseThrow();
        double init = spacing == TimestepSpacing.LEADING ? Math.sqrt(max * max + 1) : max;
        return new Sigmas(schedule, t, s, init);
    }

    /**
     * The grid of diffusers' DPMSolverMultistepScheduler: integer timesteps below
     * T' = T − #{t : λ_t &lt; λ_min} ({@code lambda_min_clipped}; T' = T when it is −∞) —
     * {@code linspace}: np.linspace(0, T'−1, n+1).round()[::-1][:-1]; {@code leading}:
     * k·⌊T'/(n+1)⌋ + offset for k = n..1; {@code trailing}: round(T' − k·T/n) − 1 while positive —
     * with σ_k = σ(t_k); with {@code karras}, n Karras σ's between σ(0) and σ(T−1) (or
     * {@code sigmaMin}/{@code sigmaMax}) and t_k = round(t(σ_k)), so the network sees the nearest
     * training timestep while the solver uses the Karras σ, exactly as diffusers does. The final σ is
     * 0, or σ(0) when {@code finalSigmaZero} is false. {@code init_noise_sigma} is 1: this sampler
     * works on x_t itself.
     */
    static Sigmas dpmSolver(NoiseSchedule schedule, int steps, TimestepSpacing spacing, int stepsOffset, boolean karras,
            double rho, double sigmaMin, double sigmaMax, boolean finalSigmaZero, double lambdaMinClipped) {
        int T = schedule.numTimesteps();
        checkSteps(steps, T);
        double[] t;
        double[] s;
        if (karras) {
            t = new double[steps];
            s = new double[steps + 1];
            double[] ks = karras(Double.isNaN(sigmaMin) ? schedule.sigma(0) : sigmaMin,
                    Double.isNaN(sigmaMax) ? schedule.sigma(T - 1) : sigmaMax, steps, rho);
            for (int k = 0; k < steps; k++) {
                s[k] = ks[k];
                t[k] = Math.rint(sigmaToTimestep(schedule, ks[k]));
            }
        } else {
            int last = T;
            for (int i = 0; i < T; i++) {
                if (0.5 * Math.log(schedule.snr(i)) < lambdaMinClipped) {
                    last--;
                }
            }
            int count = steps;
            if (spacing == TimestepSpacing.TRAILING) {
                count = 0;
                while (last - count * ((double) T / steps) > 0) {
                    count++;
                }
            }
            t = new double[count];
            s = new double[count + 1];
            for (int k = 0; k < count; k++) {
                t[k] = switch (spacing) {
                    case LINSPACE -> Math.rint(linspace(0, last - 1, steps + 1, steps - k));
                    case LEADING -> (double) (steps - k) * (last / (steps + 1)) + stepsOffset;
                    case TRAILING -> Math.rint(last - k * ((double) T / steps)) - 1;
                };
                checkTimestep(t[k], T, spacing, stepsOffset);
                s[k] = schedule.sigma((int) t[k]);
            }
        }
        s[s.length - 1] = finalSigmaZero ? 0 : schedule.sigma(0);
        return new Sigmas(schedule, t, s, 1.0);
    }

    /**
     * σ_i = (σ_max^{1/ρ} + i/(n−1) (σ_min^{1/ρ} − σ_max^{1/ρ}))^ρ for i = 0..n−1 (Eq. 5 of Karras et
     * al. 2022; diffusers' {@code _convert_to_karras}).
     */
    public static double[] karras(double sigmaMin, double sigmaMax, int n, double rho) {
        if (!(sigmaMin > 0 && sigmaMax >= sigmaMin && rho > 0)) {
            throw new IllegalArgumentException("Karras sigmas need 0 < sigma_min <= sigma_max and rho > 0, got "
                    + sigmaMin + ", " + sigmaMax + ", " + rho);
        }
        double minInv = Math.pow(sigmaMin, 1 / rho);
        double maxInv = Math.pow(sigmaMax, 1 / rho);
        double[] s = new double[n];
        for (int i = 0; i < n; i++) {
            double ramp = linspace(0, 1, n, i);
            s[i] = Math.pow(maxInv + ramp * (minInv - maxInv), rho);
        }
        return s;
    }

    /** σ at a fractional training timestep by linear interpolation of σ(t) (np.interp, clamped at the ends). */
    public static double sigmaAt(NoiseSchedule schedule, double t) {
        int T = schedule.numTimesteps();
        if (t <= 0) {
            return schedule.sigma(0);
        }
        if (t >= T - 1) {
            return schedule.sigma(T - 1);
        }
        int lo = (int) Math.floor(t);
        double w = t - lo;
        return schedule.sigma(lo) + w * (schedule.sigma(lo + 1) - schedule.sigma(lo));
    }

    /**
     * The fractional timestep of a noise level by linear interpolation of log σ(t) between the two
     * training timesteps that bracket it, clamped to [0, T−1] (diffusers' {@code _sigma_to_t}).
     */
    public static double sigmaToTimestep(NoiseSchedule schedule, double sigma) {
        int T = schedule.numTimesteps();
        double logSigma = Math.log(Math.max(sigma, 1e-10));
        int low = 0; // the last t with log σ(t) ≤ log σ (0 if there is none), at most T−2
        for (int t = 0; t < T; t++) {
            if (logSigma - Math.log(schedule.sigma(t)) >= 0) {
                low = t;
            }
        }
        low = Math.min(low, T - 2);
        double lo = Math.log(schedule.sigma(low));
        double hi = Math.log(schedule.sigma(low + 1));
        double w = Math.min(Math.max((lo - logSigma) / (lo - hi), 0), 1);
        return (1 - w) * low + w * (low + 1);
    }

    /** Element k of np.linspace(start, stop, num): k·((stop−start)/(num−1)) + start, the last one exactly stop. */
    static double linspace(double start, double stop, int num, int k) {
        if (num == 1) {
            return start;
        }
        return k == num - 1 ? stop : k * ((stop - start) / (num - 1)) + start;
    }

    private static void checkTimestep(double t, int numTrainTimesteps, TimestepSpacing spacing, int stepsOffset) {
        if (t < 0 || t > numTrainTimesteps - 1) {
            throw new IllegalArgumentException("timestep " + t + " of the " + spacing.diffusersName()
                    + " spacing is outside [0, " + (numTrainTimesteps - 1) + "]; lower steps_offset (" + stepsOffset + ")");
        }
    }

    private static void checkSteps(int steps, int numTrainTimesteps) {
        if (steps < 1 || steps > numTrainTimesteps) {
            throw new IllegalArgumentException("steps must be in [1, " + numTrainTimesteps + "], got " + steps);
        }
    }

    /** n, the number of network timesteps. */
    public int steps() {
        return timesteps.length;
    }

    /** t_0..t_{n−1} in sampling order (noisiest first); fractional for the Euler grids. */
    public double[] timesteps() {
        return timesteps.clone();
    }

    public double timestep(int i) {
        return timesteps[i];
    }

    /** σ_0..σ_n, with σ_n = 0. */
    public double[] sigmas() {
        return sigmas.clone();
    }

    public double sigma(int i) {
        return sigmas[i];
    }

    /** The (fractional) training timestep of a noise level, by {@link #sigmaToTimestep} on this grid's schedule. */
    public double timestepOf(double sigma) {
        return sigmaToTimestep(schedule, sigma);
    }

    /**
     * The variance-exploding state x̃ = x₀ + σ_step ε before loop step {@code step} (Euler, Heun; diffusers'
     * {@code EulerDiscreteScheduler.add_noise}); x₀ itself at the end (step = n).
     */
    public NDArray noisedVe(NDArray x0, NDArray epsilon, int step) {
        checkStep(step);
        return step == steps() ? x0.duplicate() : x0.add(epsilon.mul((float) sigmas[step]));
    }

    /**
     * The variance-preserving state x = α x₀ + σ_VP ε before loop step {@code step}, with α = 1/√(σ²+1) and
     * σ_VP = σα (DPM-Solver++, which steps x itself; diffusers' {@code DPMSolverMultistepScheduler.add_noise});
     * x₀ itself at the end (step = n).
     */
    public NDArray noisedVp(NDArray x0, NDArray epsilon, int step) {
        checkStep(step);
        if (step == steps()) {
            return x0.duplicate();
        }
        double alpha = 1 / Math.sqrt(sigmas[step] * sigmas[step] + 1);
        return x0.mul((float) alpha).add(epsilon.mul((float) (sigmas[step] * alpha)));
    }

    private void checkStep(int step) {
        if (step < 0 || step > steps()) {
            throw new IllegalArgumentException("step " + step + " is outside [0, " + steps() + "]");
        }
    }

    /** The factor x_T is multiplied by before the first step (diffusers' {@code init_noise_sigma}). */
    public double initNoiseSigma() {
        return initNoiseSigma;
    }
}
