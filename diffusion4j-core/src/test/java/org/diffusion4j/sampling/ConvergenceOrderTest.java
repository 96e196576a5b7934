package org.diffusion4j.sampling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import java.util.Locale;
import java.util.function.DoubleUnaryOperator;
import java.util.function.Function;
import org.diffusion4j.diffusion.Denoiser;
import org.diffusion4j.diffusion.NoiseSource;
import org.diffusion4j.diffusion.PredictionType;
import org.diffusion4j.schedule.NoiseSchedule;
import org.diffusion4j.schedule.TimestepSpacing;
import org.junit.jupiter.api.Test;

/**
 * Observed order of convergence of the ODE samplers on Gaussian data, where the probability-flow
 * ODE is solved in closed form.
 *
 * <p>For data N(μ, s²I) the σ-perturbed marginal of x̃ = x/√ᾱ is N(μ, (s²+σ²)I), the exact denoiser
 * is D(x̃, σ) = μ + (x̃ − μ) s²/(s²+σ²), and the PF-ODE dx̃/dσ = (x̃ − D)/σ = (x̃ − μ) σ/(s²+σ²) is
 * linear with solution x̃(σ) = μ + (x̃(σ₀) − μ) √((s²+σ²)/(s²+σ₀²)). From σ₀ = σ_max to 0 that is the
 * transport x₀ = μ + s (x̃(σ_max) − μ)/√(s²+σ_max²) ≈ μ + s x_T; it is not exactly μ + s x_T
 * because the sampler starts from x_T·init_noise_sigma, which is neither exactly N(μ, s²+σ_max²) nor
 * at infinite σ; so every check starts the exact solution from the sampler's own start.
 *
 * <p>All three solvers take the same last step, from σ_{n−1} to σ = 0, where the ODE is singular:
 * x̃ − σ_{n−1} ε̂ = D(x̃, σ_{n−1}), the x₀ estimate (Euler, Heun's final Euler step, DPM-Solver++'s
 * λ = ∞ step). Its error against the ODE, O(σ_{n−1}²/s²), is a property of the grid, not of the
 * solver (it does not shrink with n on the {@code linspace} Euler grid, where σ_{n−1} = σ(0)). So the
 * reference is the exact ODE from σ_0 to σ_{n−1} followed by the exact x₀ estimate, and what is
 * measured is the integration error over [σ_{n−1}, σ_0]. The full-transport error is printed too.
 *
 * <p>The network is called at fractional timesteps by Euler/Heun; the test denoiser maps t back to σ
 * the way the grid mapped σ to t (linear σ(t) for the {@code linspace} grid, log-linear for the
 * Karras grid), so it is exact at every σ the solver uses. Work is in float64 so that rounding (10⁻¹⁶)
 * stays far below the smallest error measured.
 *
 * <p>Orders are asymptotic: the log-log slope is fitted over n ∈ {20, 40, 80}, where every λ-step is
 * below ½; the n = 5, 10 errors (steps of 2 in λ across σ from 157 to 0.01) are printed but not
 * fitted. DPM-Solver++ is measured on a schedule whose log-SNR is linear in t, so that its
 * {@code linspace} timesteps are uniform in λ as the convergence theorem assumes (Lu et al. 2022,
 * Thm. 3.2: error O(h²) with h the largest λ-step). On the DDPM linear schedule the last λ-steps of
 * the {@code linspace} grid do not shrink with n (σ² ∝ t near t = 0), and the observed order there,
 * printed for information, falls towards 1.
 */
class ConvergenceOrderTest {

    static final int[] STEPS = {5, 10, 20, 40, 80};
    static final double MU = 0.3;
    static final double S = 0.5;

    @Test
    void eulerIsFirstOrder() {
        NoiseSchedule schedule = NoiseSchedule.linear();
        double[][] linspace = errors(n -> new Euler(schedule, opts(n, TimestepSpacing.LINSPACE, 0, false)), linearSigma(schedule));
        double[][] karras = errors(n -> new Euler(schedule, opts(n, TimestepSpacing.LINSPACE, 0, true)), logLinearSigma(schedule));
        assertOrder("euler (linspace)", linspace, 1);
        assertOrder("euler (karras)", karras, 1);
    }

    @Test
    void heunIsSecondOrder() {
        NoiseSchedule schedule = NoiseSchedule.linear();
        double[][] linspace = errors(n -> new Heun(schedule, opts(n, TimestepSpacing.LINSPACE, 0, false)), linearSigma(schedule));
        double[][] karras = errors(n -> new Heun(schedule, opts(n, TimestepSpacing.LINSPACE, 0, true)), logLinearSigma(schedule));
        assertOrder("heun (linspace)", linspace, 2);
        assertOrder("heun (karras)", karras, 2);
    }

    @Test
    void dpmSolverPlusPlus2mIsSecondOrderInLambda() {
        NoiseSchedule linear = NoiseSchedule.linear();
        NoiseSchedule uniformLambda = logSnrLinear(linear);
        double[][] e = errors(n -> new DpmSolverPP(uniformLambda, opts(n, TimestepSpacing.LINSPACE, 0, false).toBuilder().solverOrder(2).lowerOrderFinal(true).build()),
                integerSigma(uniformLambda));
        assertOrder("dpm-solver++ 2M (log-SNR-linear schedule, linspace)", e, 2);
        double[][] heun = errors(n -> new DpmSolverPP(Sigmas.dpmSolver(uniformLambda, n, TimestepSpacing.LINSPACE, 0, false, 7,
                Double.NaN, Double.NaN, true, Double.NEGATIVE_INFINITY), 2, true, true, false), integerSigma(uniformLambda));
        assertOrder("dpm-solver++ 2M, heun update (log-SNR-linear schedule, linspace)", heun, 2);
        double[][] first = errors(n -> new DpmSolverPP(uniformLambda, opts(n, TimestepSpacing.LINSPACE, 0, false).toBuilder().solverOrder(1).lowerOrderFinal(true).build()),
                integerSigma(uniformLambda));
        assertOrder("dpm-solver++ 1 (log-SNR-linear schedule, linspace)", first, 1);
        double[][] ddpm = errors(n -> new DpmSolverPP(linear, opts(n, TimestepSpacing.LINSPACE, 0, false).toBuilder().solverOrder(2).lowerOrderFinal(true).build()),
                integerSigma(linear));
        report("dpm-solver++ 2M (DDPM linear schedule, linspace; not asserted)", ddpm);
    }

    /**
     * For each n in {@link #STEPS}: {max |x₀ − reference|, max |x₀ − full transport|} over 1024 values,
     * the reference being the exact ODE to σ_{n−1} followed by the exact x₀ estimate.
     */
    static double[][] errors(Function<Integer, Sampler> sampler, DoubleUnaryOperator sigmaOfT) {
        double[][] err = new double[2][STEPS.length];
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray xT = NoiseSource.seeded(7).normal(m, new Shape(4, 256), 0).toType(DataType.FLOAT64, false);
            for (int k = 0; k < STEPS.length; k++) {
                Sampler s = sampler.apply(STEPS[k]);
                Sigmas grid = gridOf(s);
                int n = grid.steps();
                // the sampler's start in the x/√ᾱ view: Euler/Heun start at x_T·init_noise_sigma,
                // DPM-Solver++ at x_T itself as x_t, i.e. x̃ = x_T √(1+σ_0²); all three return x̃ at σ = 0
                double sigma0 = grid.sigma(0);
                double start = s instanceof DpmSolverPP ? Math.sqrt(1 + sigma0 * sigma0) : grid.initNoiseSigma();
                NDArray x0 = s.sample(new ExactGaussianDenoiser(MU, S, PredictionType.EPSILON, sigmaOfT), xT,
                        NoiseSource.seeded(1), SamplingListener.NONE);
                double sigmaLast = grid.sigma(n - 1);
                NDArray xLast = xT.mul(start).sub(MU).mul(Math.sqrt((S * S + sigmaLast * sigmaLast) / (S * S + sigma0 * sigma0))).add(MU);
                NDArray reference = xLast.sub(MU).mul(S * S / (S * S + sigmaLast * sigmaLast)).add(MU);
                NDArray transport = xT.mul(start).sub(MU).mul(S / Math.sqrt(S * S + sigma0 * sigma0)).add(MU);
                err[0][k] = x0.sub(reference).abs().max().getDouble();
                err[1][k] = x0.sub(transport).abs().max().getDouble();
            }
        }
        return err;
    }

    static Sigmas gridOf(Sampler s) {
        return ((SigmaGridSampler) s).grid();
    }

    /** Least-squares slope of −log(error) against log(n) over the given points. */
    static double order(double[] err, int from) {
        int k = STEPS.length - from;
        double mx = 0;
        double my = 0;
        for (int i = from; i < STEPS.length; i++) {
            mx += Math.log(STEPS[i]) / k;
            my += Math.log(err[i]) / k;
        }
        double sxy = 0;
        double sxx = 0;
        for (int i = from; i < STEPS.length; i++) {
            sxy += (Math.log(STEPS[i]) - mx) * (Math.log(err[i]) - my);
            sxx += (Math.log(STEPS[i]) - mx) * (Math.log(STEPS[i]) - mx);
        }
        return -sxy / sxx;
    }

    static double report(String name, double[][] errors) {
        double[] err = errors[0];
        double tail = order(err, 2);
        System.out.printf(Locale.ROOT, "%s: max error for n = 5..80: %s; observed order %.2f (n >= 20), %.2f (n = 5..80)"
                + "%n    against the full transport x0 = mu + s(x~_0 - mu)/sqrt(s^2+sigma_0^2): %s; order %.2f (n >= 20)%n",
                name, format(err), tail, order(err, 0), format(errors[1]), order(errors[1], 2));
        return tail;
    }

    static void assertOrder(String name, double[][] errors, double expected) {
        double[] err = errors[0];
        double tail = report(name, errors);
        assertEquals(expected, tail, 0.3, name + ": observed order of convergence");
        for (int i = 3; i < STEPS.length; i++) {
            assertTrue(err[i] < err[i - 1], name + ": the error must fall from n = " + STEPS[i - 1] + " to " + STEPS[i]);
        }
    }

    static String format(double[] v) {
        StringBuilder b = new StringBuilder();
        for (double d : v) {
            b.append(String.format(Locale.ROOT, "%.3e ", d));
        }
        return b.toString().trim();
    }

    /** σ(t) by linear interpolation: what the {@code linspace} Euler grid assumes between training timesteps. */
    static DoubleUnaryOperator linearSigma(NoiseSchedule schedule) {
        return t -> Sigmas.sigmaAt(schedule, t);
    }

    /** σ(t) by log-linear interpolation: the inverse of {@link Sigmas#sigmaToTimestep} used by the Karras grid. */
    static DoubleUnaryOperator logLinearSigma(NoiseSchedule schedule) {
        return t -> {
            int lo = Math.min((int) Math.floor(t), schedule.numTimesteps() - 2);
            double w = t - lo;
            return Math.exp((1 - w) * Math.log(schedule.sigma(lo)) + w * Math.log(schedule.sigma(lo + 1)));
        };
    }

    /** σ(t) at integer timesteps only (DPM-Solver++ never calls elsewhere). */
    static DoubleUnaryOperator integerSigma(NoiseSchedule schedule) {
        return t -> {
            assertEquals(Math.rint(t), t, 0, "DPM-Solver++ calls the network at integer timesteps");
            return schedule.sigma((int) t);
        };
    }

    /**
     * A T-step schedule with the same end points as {@code like} whose half log-SNR λ_t = log √(ᾱ/(1−ᾱ))
     * is linear in t: ᾱ_t = sigmoid(2λ_t), β_t = 1 − ᾱ_t/ᾱ_{t−1}.
     */
    static NoiseSchedule logSnrLinear(NoiseSchedule like) {
        int T = like.numTimesteps();
        double first = -Math.log(like.sigma(0));
        double last = -Math.log(like.sigma(T - 1));
        double[] betas = new double[T];
        double prev = 1;
        for (int t = 0; t < T; t++) {
            double lambda = first + (last - first) * t / (T - 1);
            double alphaCumprod = 1 / (1 + Math.exp(-2 * lambda));
            betas[t] = 1 - alphaCumprod / prev;
            prev = alphaCumprod;
        }
        return NoiseSchedule.fromBetas(betas);
    }

    /** Options with the given steps, spacing, steps_offset and Karras flag, the rest at their defaults. */
    static SamplerOptions opts(int steps, TimestepSpacing spacing, int stepsOffset, boolean karras) {
        return SamplerOptions.builder().steps(steps).spacing(spacing).stepsOffset(stepsOffset).karrasSigmas(karras).build();
    }

    /**
     * One libtorch intra-op thread for the calling test class (returns the previous count for
     * {@link #restoreThreads}): the tensors here are small, and OpenMP synchronisation dominates their
     * run time on a shared, oversubscribed machine (the fixture-UNet loops went from 30 s to ~2 s).
     */
    static int oneThread() {
        Engine.getInstance(); // loads the native library
        int previous = JniUtils.getNumThreads();
        JniUtils.setNumThreads(1);
        return previous;
    }

    static void restoreThreads(int previous) {
        JniUtils.setNumThreads(previous);
    }

    /**
     * Sample mean and variance of N = 32 768 samples (8 images of 64×64) against μ and s². Tolerance:
     * five standard errors, s/√N for the mean and s²√(2/N) for the variance (0.0138 and 3.9% of s²
     * for s = 0.5); the caller picks enough steps that the sampler's own discretisation bias, worked
     * out in closed form for this Gaussian, is under half of that. Deterministic: x_T and the noise
     * are seeded. The samples are drawn as two batches of 16 384 values: below libtorch's grain size
     * (32 768) its kernels stay single-threaded, which keeps thousands of small steps fast on a loaded
     * machine (per-image norm reductions over 32 768 values were 20–40× slower here).
     */
    static void assertMoments(Sampler sampler, Denoiser denoiser, double mu, double s) {
        try (NDManager m = NDManager.newBaseManager()) {
            // two batches of 4 images of 64×64: 16 384 values per tensor keeps libtorch single-threaded
            NDArray[] batches = new NDArray[2];
            for (int b = 0; b < 2; b++) {
                NDArray xT = NoiseSource.seeded(11 + b).normal(m, new Shape(4, 1, 64, 64), 0);
                batches[b] = sampler.sample(denoiser, xT, NoiseSource.seeded(21 + b), SamplingListener.NONE);
            }
            NDArray x0 = NDArrays.concat(new NDList(batches)).toType(DataType.FLOAT64, false);
            double n = x0.size();
            double mean = x0.mean().getDouble();
            double var = x0.sub(mean).square().sum().getDouble() / (n - 1);
            double meanTol = 5 * s / Math.sqrt(n);
            double varTol = 5 * s * s * Math.sqrt(2 / n);
            System.out.printf(Locale.ROOT, "%s (%d evaluations): mean %.5f (mu %.3f, tol %.4f), variance %.5f (s^2 %.4f, rel. dev. %+.4f, tol %.4f)%n",
                    sampler.name(), sampler.evaluations(), mean, mu, meanTol, var, s * s, var / (s * s) - 1, varTol / (s * s));
            assertEquals(mu, mean, meanTol, sampler.name() + ": sample mean");
            assertEquals(s * s, var, varTol, sampler.name() + ": sample variance");
        }
    }

    /**
     * The {@link Sampler} contract on a small float64 batch: the same result whichever
     * {@link PredictionType} the network uses (the sampler converts), exactly {@code evaluations()}
     * network calls, one listener call per step with consecutive step numbers, and nothing left in the
     * caller's manager but x_T and the result.
     */
    static void assertContract(Sampler sampler, NoiseSchedule schedule, DoubleUnaryOperator sigmaOfT) {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray xT = NoiseSource.seeded(5).normal(m, new Shape(2, 3, 8, 8), 0).toType(DataType.FLOAT64, false);
            NDArray reference = null;
            for (PredictionType type : PredictionType.values()) {
                int before = ((ai.djl.ndarray.BaseNDManager) m).getManagedArrays().size();
                ExactGaussianDenoiser exact = new ExactGaussianDenoiser(MU, S, type, sigmaOfT);
                int[] calls = {0};
                Denoiser counting = new Denoiser() {
                    @Override
                    public NDArray predict(NDArray x, double t) {
                        calls[0]++;
                        assertTrue(t >= 0 && t <= schedule.numTimesteps() - 1, "timestep " + t + " outside the schedule");
                        return exact.predict(x, t);
                    }

                    @Override
                    public PredictionType predictionType() {
                        return type;
                    }
                };
                int[] steps = {0, -1};
                NDArray x0 = sampler.sample(counting, xT, NoiseSource.seeded(6), (step, total, t, x, predictedX0) -> {
                    assertEquals(steps[0]++, step, "listener steps are consecutive");
                    assertTrue(steps[1] == -1 || steps[1] == total, "the listener's total is fixed");
                    steps[1] = total;
                    assertEquals(x.getShape(), predictedX0.getShape());
                });
                assertEquals(sampler.evaluations(), calls[0], sampler.name() + ": evaluations() counts every network call");
                assertEquals(steps[1], steps[0], sampler.name() + ": one listener call per step");
                assertEquals(before + 1, ((ai.djl.ndarray.BaseNDManager) m).getManagedArrays().size(),
                        sampler.name() + ": only the result is left in the caller's manager");
                assertEquals(xT.getShape(), x0.getShape());
                if (reference == null) {
                    reference = x0;
                } else {
                    double scale = reference.abs().max().getDouble();
                    // 1e-6: the Karras grids round t to float32 as diffusers does, so the σ the denoiser
                    // sees differs from the solver's by ~1e-7 and each parameterisation feels it differently
                    assertEquals(0, x0.sub(reference).abs().max().getDouble(), 1e-6 * scale,
                            sampler.name() + ": " + type + " gives the same samples as epsilon");
                }
            }
        }
    }

    /**
     * The exact network for data N(μ, s²I): with x_t ~ N(√ᾱ μ, (ᾱs² + 1 − ᾱ)I), E[ε | x_t] =
     * √(1−ᾱ)(x_t − √ᾱ μ)/(ᾱs² + 1 − ᾱ), returned as ε, x₀ = (x_t − √(1−ᾱ)ε̂)/√ᾱ or v = √ᾱ ε̂ − √(1−ᾱ) x̂₀,
     * with ᾱ = 1/(1+σ(t)²) for a caller-chosen σ(t) (fractional t allowed).
     */
    record ExactGaussianDenoiser(double mu, double s, PredictionType predictionType, DoubleUnaryOperator sigmaOfT)
            implements Denoiser {

        /** The denoiser whose σ(t) interpolates σ linearly between training timesteps. */
        static ExactGaussianDenoiser of(double mu, double s, PredictionType type, NoiseSchedule schedule) {
            return new ExactGaussianDenoiser(mu, s, type, linearSigma(schedule));
        }

        @Override
        public NDArray predict(NDArray x, double t) {
            double sigma = sigmaOfT.applyAsDouble(t);
            double alphaCumprod = 1 / (1 + sigma * sigma);
            double a = Math.sqrt(alphaCumprod);
            double b = Math.sqrt(1 - alphaCumprod);
            NDArray eps = x.sub(a * mu).mul(b / (alphaCumprod * s * s + 1 - alphaCumprod));
            return switch (predictionType) {
                case EPSILON -> eps;
                case SAMPLE -> x.sub(eps.mul(b)).div(a);
                case V_PREDICTION -> eps.mul(a).sub(x.sub(eps.mul(b)).div(a).mul(b));
            };
        }
    }
}
