package org.diffusion4j.schedule;

/**
 * The forward process's noise schedule and every quantity derived from it, in double precision,
 * indexed by the 0-based timestep t = 0..T−1 (diffusers' convention: index t holds the paper's
 * step t+1).
 *
 * <p>Notation of Ho et al. 2020: α_t = 1 − β_t, ᾱ_t = ∏_{s≤t} α_s (Eq. 4), the posterior
 * q(x_{t−1} | x_t, x₀) = N(μ̃_t, β̃_t I) with β̃_t = (1 − ᾱ_{t−1})/(1 − ᾱ_t) · β_t and
 * μ̃_t = c₁ x₀ + c₂ x_t, c₁ = √ᾱ_{t−1} β_t/(1 − ᾱ_t), c₂ = √α_t (1 − ᾱ_{t−1})/(1 − ᾱ_t) (Eq. 6–7).
 * Immutable: accessors return copies or single values.
 */
public final class NoiseSchedule {

    private final double[] betas;
    private final double[] alphas;
    private final double[] alphasCumprod;
    private final double[] alphasCumprodPrev;
    private final double[] posteriorVariance;
    private final double[] posteriorLogVarianceClipped;
    private final double[] posteriorMeanCoef1;
    private final double[] posteriorMeanCoef2;

    private NoiseSchedule(double[] betas) {
        int n = betas.length;
        if (n < 1) {
            throw new IllegalArgumentException("a noise schedule needs at least one β");
        }
        this.betas = betas.clone();
        alphas = new double[n];
        alphasCumprod = new double[n];
        alphasCumprodPrev = new double[n];
        posteriorVariance = new double[n];
        posteriorLogVarianceClipped = new double[n];
        posteriorMeanCoef1 = new double[n];
        posteriorMeanCoef2 = new double[n];
        double prod = 1;
        for (int t = 0; t < n; t++) {
            double b = betas[t];
            if (!(b > 0 && b <= 1)) {
                throw new IllegalArgumentException("β_" + t + " = " + b + " is outside (0, 1]");
            }
            alphas[t] = 1 - b;
            alphasCumprodPrev[t] = prod;
            prod *= alphas[t];
            alphasCumprod[t] = prod;
            posteriorVariance[t] = b * (1 - alphasCumprodPrev[t]) / (1 - alphasCumprod[t]);
            posteriorMeanCoef1[t] = b * Math.sqrt(alphasCumprodPrev[t]) / (1 - alphasCumprod[t]);
            posteriorMeanCoef2[t] = (1 - alphasCumprodPrev[t]) * Math.sqrt(alphas[t]) / (1 - alphasCumprod[t]);
        }
        // β̃_0 = 0, so its log is clipped to log β̃_1 as improved-diffusion does (gaussian_diffusion.py).
        for (int t = 0; t < n; t++) {
            posteriorLogVarianceClipped[t] = Math.log(t == 0 && n > 1 ? posteriorVariance[1] : posteriorVariance[t]);
        }
    }

    /** A schedule from explicit β_1..β_T (diffusers' {@code trained_betas}). */
    public static NoiseSchedule fromBetas(double[] betas) {
        return new NoiseSchedule(betas);
    }

    /** A named schedule over T steps. */
    public static NoiseSchedule of(BetaSchedule schedule, int numTrainTimesteps, double betaStart, double betaEnd) {
        return new NoiseSchedule(schedule.betas(numTrainTimesteps, betaStart, betaEnd));
    }

    /** The DDPM default: linear β from 1e-4 to 0.02 over T = 1000 steps (Ho et al. 2020, Sec. 4). */
    public static NoiseSchedule linear() {
        return of(BetaSchedule.LINEAR, 1000, 1e-4, 0.02);
    }

    /** The cosine schedule of Nichol &amp; Dhariwal 2021 over T = 1000 steps. */
    public static NoiseSchedule cosine() {
        return of(BetaSchedule.SQUAREDCOS_CAP_V2, 1000, 1e-4, 0.02);
    }

    /**
     * Rescales β so that the terminal SNR is zero (Lin et al. 2024, Algorithm 1), diffusers'
     * {@code rescale_betas_zero_snr}. The last β becomes 1.
     */
    public NoiseSchedule rescaledToZeroTerminalSnr() {
        int n = betas.length;
        double[] s = new double[n];
        for (int t = 0; t < n; t++) {
            s[t] = Math.sqrt(alphasCumprod[t]);
        }
        double first = s[0];
        double last = s[n - 1];
        for (int t = 0; t < n; t++) {
            s[t] = (s[t] - last) * first / (first - last);
        }
        double[] b = new double[n];
        double prev = 1;
        for (int t = 0; t < n; t++) {
            double ab = s[t] * s[t];
            b[t] = 1 - ab / prev;
            prev = ab;
        }
        return new NoiseSchedule(b);
    }

    /** T, the number of diffusion steps. */
    public int numTimesteps() {
        return betas.length;
    }

    public double beta(int t) {
        return betas[t];
    }

    public double alpha(int t) {
        return alphas[t];
    }

    /** ᾱ_t (Eq. 4 of Ho et al. 2020). */
    public double alphaCumprod(int t) {
        return alphasCumprod[t];
    }

    /** ᾱ_{t−1}, with ᾱ_{−1} = 1. */
    public double alphaCumprodPrev(int t) {
        return alphasCumprodPrev[t];
    }

    /** ᾱ at a timestep that may be −1 (meaning "before the first step", ᾱ = 1), as samplers need. */
    public double alphaCumprodOrOne(int t) {
        return t < 0 ? 1.0 : alphasCumprod[t];
    }

    public double sqrtAlphaCumprod(int t) {
        return Math.sqrt(alphasCumprod[t]);
    }

    public double sqrtOneMinusAlphaCumprod(int t) {
        return Math.sqrt(1 - alphasCumprod[t]);
    }

    /** √(1/ᾱ_t), which turns x_t and ε into x₀ (Eq. 15 of Ho et al. 2020). */
    public double sqrtRecipAlphaCumprod(int t) {
        return Math.sqrt(1 / alphasCumprod[t]);
    }

    /** √(1/ᾱ_t − 1). */
    public double sqrtRecipm1AlphaCumprod(int t) {
        return Math.sqrt(1 / alphasCumprod[t] - 1);
    }

    /** β̃_t = (1 − ᾱ_{t−1})/(1 − ᾱ_t) · β_t, the posterior variance (Eq. 7 of Ho et al. 2020). */
    public double posteriorVariance(int t) {
        return posteriorVariance[t];
    }

    /** log β̃_t, with β̃_0 = 0 replaced by β̃_1 (improved-diffusion's clipping). */
    public double posteriorLogVarianceClipped(int t) {
        return posteriorLogVarianceClipped[t];
    }

    /** c₁ of μ̃_t = c₁ x₀ + c₂ x_t (Eq. 7 of Ho et al. 2020). */
    public double posteriorMeanCoef1(int t) {
        return posteriorMeanCoef1[t];
    }

    /** c₂ of μ̃_t = c₁ x₀ + c₂ x_t (Eq. 7 of Ho et al. 2020). */
    public double posteriorMeanCoef2(int t) {
        return posteriorMeanCoef2[t];
    }

    /** SNR_t = ᾱ_t / (1 − ᾱ_t) (Kingma et al. 2021). */
    public double snr(int t) {
        return alphasCumprod[t] / (1 - alphasCumprod[t]);
    }

    /** σ_t = √((1 − ᾱ_t)/ᾱ_t), the noise level of the variance-exploding view x/√ᾱ (Karras et al. 2022). */
    public double sigma(int t) {
        return Math.sqrt((1 - alphasCumprod[t]) / alphasCumprod[t]);
    }

    public double[] betas() {
        return betas.clone();
    }

    public double[] alphasCumprod() {
        return alphasCumprod.clone();
    }
}
