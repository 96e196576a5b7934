package org.diffusion4j.diffusion;

import java.util.Arrays;
import java.util.Locale;

/**
 * The variance Σ_θ(x_t, t) = σ_t² I of the reverse kernel p_θ(x_{t−1} | x_t) (Eq. 1 of Ho et al.
 * 2020), named as diffusers' {@code variance_type}; the semantics are improved-diffusion's
 * {@code ModelVarianceType}.
 */
public enum VarianceType {
    /**
     * σ_t² = β̃_t, the posterior variance (Eq. 7 of Ho et al. 2020); optimal for x₀ deterministic.
     * Its log is clipped at t = 0 (where β̃_0 = 0) to log β̃_1, as improved-diffusion does.
     */
    FIXED_SMALL("fixed_small"),
    /**
     * σ_t² = β_t; optimal for x₀ ~ N(0, I) (Sec. 3.2 of Ho et al. 2020). At t = 0 improved-diffusion
     * uses β̃_1 instead of β_0 so that the decoder L₀ gets a sensible variance; we do the same
     * (diffusers uses β_0, which only matters for likelihoods, since no noise is added at t = 0).
     */
    FIXED_LARGE("fixed_large"),
    /** The model outputs log σ_t² directly, in its second C channels. */
    LEARNED("learned"),
    /**
     * The model outputs v ∈ [−1, 1] in its second C channels and
     * log σ_t² = ((v+1)/2) log β_t + (1 − (v+1)/2) log β̃_t (Eq. 15 of Nichol &amp; Dhariwal 2021).
     */
    LEARNED_RANGE("learned_range");

    private final String diffusersName;

    VarianceType(String diffusersName) {
        this.diffusersName = diffusersName;
    }

    public String diffusersName() {
        return diffusersName;
    }

    /** True when the model predicts the variance too, so its output has 2C channels. */
    public boolean isLearned() {
        return this == LEARNED || this == LEARNED_RANGE;
    }

    /**
     * Parses a diffusers {@code variance_type}. {@code fixed_small_log} and {@code fixed_large_log}
     * are diffusers' log-domain computations of the same distributions, so they map to
     * {@link #FIXED_SMALL} and {@link #FIXED_LARGE}.
     */
    public static VarianceType parse(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        for (VarianceType v : values()) {
            if (v.diffusersName.equals(n) || (v.diffusersName + "_log").equals(n)) {
                return v;
            }
        }
        throw new IllegalArgumentException("unknown variance_type \"" + name + "\"; use one of "
                + Arrays.stream(values()).map(VarianceType::diffusersName).toList());
    }
}
