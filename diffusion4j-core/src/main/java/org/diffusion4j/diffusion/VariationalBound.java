package org.diffusion4j.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The variational bound on the negative log-likelihood in bits per dimension (Eq. 5 of Ho et al.
 * 2020; improved-diffusion's {@code calc_bpd_loop}):
 *
 * <pre>
 *   −log p_θ(x₀) ≤ L_T + Σ_{t=2..T} L_{t−1} + L₀,
 *   L_T     = KL(q(x_T | x₀) ‖ N(0, I))                       the prior term, no network call
 *   L_{t−1} = KL(q(x_{t−1} | x_t, x₀) ‖ p_θ(x_{t−1} | x_t))   both Gaussian, x_t ~ q(x_t | x₀)
 *   L₀      = −log p_θ(x₀ | x₁)                               the discretised decoder
 * </pre>
 *
 * In 0-based indices (index t = the paper's step t+1): the prior uses index T−1, the KL terms are
 * indices 1..T−1, and the decoder is index 0. Each term is averaged over the D non-batch
 * dimensions and divided by ln 2, so it is in bits per dimension. One x_t is drawn per term and
 * sample (a one-sample Monte-Carlo estimate of each expectation over x_t, as improved-diffusion
 * does); the noise of index t is draw number t of the {@link NoiseSource}, so a run is a pure
 * function of (denoiser, x₀, options, noise source).
 *
 * <p><b>Timestep subsets.</b> The full bound costs T network calls per batch. With
 * {@code klTimesteps = M < T−1}, the KL indices 1..T−1 are cut into M consecutive strata of
 * geometrically growing width (each stratum ends at start·(T/start)^{1/m} for the m strata still
 * to place, and is at least one timestep wide): single timesteps near t = 1, wide strata near T —
 * for T = 1000, M = 100 the widths at every 10th stratum are 1, 1, 1, 2, 3, 4, 7, 12, 19, 31. One
 * timestep is drawn uniformly from each stratum (seeded by {@code strataSeed}) and its term is
 * multiplied by the stratum's width. This stratified estimate of Σ L_{t−1} is unbiased over the
 * draw. The strata are geometric because the terms are: near the data L_{t−1} falls off roughly
 * like 1/t and the first few terms carry much of the bound, so evenly spaced strata (every k-th t,
 * scaled by k) are a poor estimator. On the Gaussian toy of the tests (T = 1000, fixed_large) the
 * standard deviation over the strata draw is 1.4 bits/dim for "every 10th t" but 0.007 bits/dim
 * for these 100 strata (0.03 for M = 50, 0.0014 for M = 200). The prior and the decoder term are
 * always computed exactly (0 and 1 network calls), so a run makes min(M, T−1) + 1 calls.
 *
 * <p>All bound arithmetic is done in float64 (the KL's −1 + d + e^{−d} cancels in float32); the
 * denoiser sees x_t in x₀'s dtype, and the posterior uses exactly the x_t it saw.
 */
public final class VariationalBound {

    /** How L₀ scores x₀. */
    public enum Decoder {
        /** 8-bit data in [−1, 1], bins of width 2/255, open edge bins (Sec. 3.3 of Ho et al. 2020). */
        DISCRETIZED_8BIT,
        /** The continuous Gaussian density: for real-valued data (gives differential bits/dim). */
        CONTINUOUS_GAUSSIAN
    }

    /**
     * @param varianceType the reverse-kernel variance σ_t² of the model being scored; the bound
     *     depends on it (on the tests' Gaussian toy fixed_large is far tighter than fixed_small)
     * @param clipDenoised clamp x̂₀ to [−1, 1] (improved-diffusion's default for bits/dim)
     * @param klTimesteps how many KL terms to evaluate: 0 (or ≥ T−1) for all of them, the full
     *     bound; M for the stratified subset described above
     * @param strataSeed seeds the choice of timestep within each stratum (unused for the full bound)
     * @param decoder how L₀ scores x₀
     */
    public record Options(VarianceType varianceType, boolean clipDenoised, int klTimesteps, long strataSeed, Decoder decoder) {
        public Options {
            if (klTimesteps < 0) {
                throw new IllegalArgumentException("klTimesteps must be ≥ 0 (0 = every timestep), got " + klTimesteps);
            }
        }

        /** The full bound for 8-bit images: fixed_large (β_t; β̃_1 at t = 0), clipped x̂₀, every timestep. */
        public static Options defaults() {
            return new Options(VarianceType.FIXED_LARGE, true, 0, 0, Decoder.DISCRETIZED_8BIT);
        }

        /** The stratified subset of M KL terms (M + 1 network calls), strata draw seeded by {@code seed}. */
        public Options withSubset(int klTimesteps, long seed) {
            return new Options(varianceType, clipDenoised, klTimesteps, seed, decoder);
        }

        public Options withVarianceType(VarianceType v) {
            return new Options(v, clipDenoised, klTimesteps, strataSeed, decoder);
        }

        public Options withClipDenoised(boolean clip) {
            return new Options(varianceType, clip, klTimesteps, strataSeed, decoder);
        }

        public Options withDecoder(Decoder d) {
            return new Options(varianceType, clipDenoised, klTimesteps, strataSeed, d);
        }
    }

    /** Progress: called after each network call with that term's per-sample bits/dim. */
    @FunctionalInterface
    public interface Listener {
        Listener NONE = (done, total, t, termBpd) -> {};

        void onTerm(int done, int total, int t, double[] termBpd);
    }

    /**
     * The bound for a batch, in bits/dim, per sample. {@code timesteps[j]} (descending, ending with
     * 0) were evaluated; {@code termBpd[j][i]} is sample i's term at {@code timesteps[j]} — the
     * decoder L₀ at index 0, else L_{t−1} — and {@code weights[j]} is how many timesteps it stands
     * for (1, or the stratum size). {@code totalBpd[i] = priorBpd[i] + Σ_j weights[j]·termBpd[j][i]}.
     */
    public record Result(int[] timesteps, double[] weights, double[][] termBpd, double[] priorBpd, double[] totalBpd) {

        /** L₀ per sample. */
        public double[] decoderBpd() {
            return termBpd[timesteps.length - 1];
        }

        /** The bound averaged over the batch. */
        public double meanTotalBpd() {
            return Arrays.stream(totalBpd).average().orElse(Double.NaN);
        }

        /** Term j averaged over the batch. */
        public double meanTermBpd(int j) {
            return Arrays.stream(termBpd[j]).average().orElse(Double.NaN);
        }
    }

    private final GaussianDiffusion diffusion;

    public VariationalBound(GaussianDiffusion diffusion) {
        this.diffusion = diffusion;
    }

    /**
     * The timesteps a run with these options evaluates, in evaluation order (descending, ending
     * with the decoder's 0), as {@code {timesteps, weights}}.
     */
    public int[][] plan(Options options) {
        int n = diffusion.numTimesteps();
        int strata = options.klTimesteps() == 0 ? n - 1 : Math.min(options.klTimesteps(), n - 1);
        boolean full = strata == n - 1;
        SplittableRandom random = new SplittableRandom(options.strataSeed());
        int[] timesteps = new int[strata + 1];
        int[] weights = new int[strata + 1];
        int start = 1;
        for (int j = 0; j < strata; j++) {
            // geometric over what is left: end = start·(T/start)^{1/m} for the m strata remaining,
            // at least one timestep wide, leaving at least one for each later stratum
            int remaining = strata - j;
            long target = Math.round(start * Math.pow((double) n / start, 1.0 / remaining));
            int end = (int) Math.min(n - (remaining - 1), Math.max(start + 1, target));
            int width = end - start;
            // evaluation order is descending: stratum j goes to position strata − 1 − j
            timesteps[strata - 1 - j] = full ? start : start + random.nextInt(width);
            weights[strata - 1 - j] = width;
            start = end;
        }
        timesteps[strata] = 0;
        weights[strata] = 1;
        return new int[][] {timesteps, weights};
    }

    /** The bound in bits/dim for the batch x₀ (shape [N, …]). */
    public Result bitsPerDim(Denoiser denoiser, NDArray x0, Options options, NoiseSource noise, Listener listener) {
        if (options.decoder() == Decoder.DISCRETIZED_8BIT) {
            check8Bit(x0);
        }
        int n = Math.toIntExact(x0.getShape().get(0));
        int[][] plan = plan(options);
        int[] timesteps = plan[0];
        double[] weights = Arrays.stream(plan[1]).asDoubleStream().toArray();
        double[][] terms = new double[timesteps.length][];
        double[] prior;
        DataType modelType = x0.getDataType();
        try (NDManager work = x0.getManager().newSubManager()) {
            NDArray x064 = x0.toType(DataType.FLOAT64, true);
            x064.attach(work);
            prior = priorBpd(x064);
            for (int j = 0; j < timesteps.length; j++) {
                int t = timesteps[j];
                try (NDManager step = work.newSubManager()) {
                    NDArray x0s = x064.duplicate();
                    x0s.attach(step);
                    NDArray eps = noise.normal(step, x0.getShape(), t);
                    eps.attach(step);
                    terms[j] = term(denoiser, x0s, eps, t, modelType, options);
                }
                listener.onTerm(j + 1, timesteps.length, t, terms[j]);
            }
        }
        double[] total = prior.clone();
        for (int j = 0; j < timesteps.length; j++) {
            for (int i = 0; i < n; i++) {
                total[i] += weights[j] * terms[j][i];
            }
        }
        return new Result(timesteps, weights, terms, prior, total);
    }

    /** L_T = KL(q(x_T | x₀) ‖ N(0, I)) per sample, bits/dim. */
    private double[] priorBpd(NDArray x064) {
        try (NDScope scope = new NDScope()) {
            int n = Math.toIntExact(x064.getShape().get(0));
            int[] last = new int[n];
            Arrays.fill(last, diffusion.numTimesteps() - 1);
            GaussianDiffusion.MeanVariance q = diffusion.qMeanVariance(x064, last);
            NDArray zero = x064.zerosLike();
            NDArray kl = Losses.normalKl(q.mean(), q.logVariance(), zero, zero);
            return bits(kl);
        }
    }

    /** The term at index t for one draw of x_t: L₀ at t = 0, else L_{t−1}; per sample, bits/dim. */
    private double[] term(Denoiser denoiser, NDArray x0, NDArray eps, int t, DataType modelType, Options o) {
        int[] ts = new int[Math.toIntExact(x0.getShape().get(0))];
        Arrays.fill(ts, t);
        NDArray xt = diffusion.qSample(x0, ts, eps.toType(DataType.FLOAT64, false));
        NDArray xtModel = xt.toType(modelType, false);
        NDArray output = denoiser.predict(xtModel, t);
        // The posterior is computed at exactly the x_t the model saw (after any cast).
        NDArray xtSeen = xtModel.toType(DataType.FLOAT64, false);
        try (NDScope scope = new NDScope()) {
            NDArray out64 = output.toType(DataType.FLOAT64, false);
            NDArray bpd = diffusion.vbTermsBpd(out64, denoiser.predictionType(), x0, xtSeen, ts, o.clipDenoised(), o.varianceType(),
                    o.decoder());
            return bpd.toDoubleArray();
        }
    }

    /** Per-sample mean over dimensions, nats → bits. */
    private static double[] bits(NDArray nats) {
        double[] v = Losses.meanFlat(nats).toType(DataType.FLOAT64, false).toDoubleArray();
        for (int i = 0; i < v.length; i++) {
            v[i] /= Math.log(2);
        }
        return v;
    }

    /** Refuses data that is not 8-bit values scaled to [−1, 1] (a common slip: data in [0, 1]). */
    private static void check8Bit(NDArray x0) {
        double[] v;
        try (NDScope scope = new NDScope()) {
            v = x0.toType(DataType.FLOAT64, false).toDoubleArray();
        }
        for (int i = 0; i < v.length; i++) {
            double k = (v[i] + 1) * 127.5;
            if (v[i] < -1 - 1e-6 || v[i] > 1 + 1e-6 || Math.abs(k - Math.rint(k)) > 1e-3) {
                throw new IllegalArgumentException("x0 element " + i + " = " + v[i] + " is not an 8-bit value scaled to [-1, 1] "
                        + "(k/127.5 − 1 for k = 0..255), which the discretised decoder needs; scale pixels as x/127.5 − 1, "
                        + "or use Decoder.CONTINUOUS_GAUSSIAN for real-valued data");
            }
        }
    }
}
