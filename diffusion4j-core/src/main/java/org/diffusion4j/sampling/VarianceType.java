package org.diffusion4j.sampling;

import java.util.Locale;

/**
 * The variance σ_t² of the reverse step p(x_{t−1} | x_t) in the ancestral (DDPM) sampler, named as
 * diffusers' {@code variance_type}. Sec. 3.2 of Ho et al. 2020: σ_t² = β̃_t and σ_t² = β_t are the
 * two extremes, optimal for x₀ deterministic and for x₀ ~ N(0, I) respectively, and gave similar
 * results.
 */
public enum VarianceType {
    /** σ_t² = β̃_t = (1 − ᾱ_{t−1})/(1 − ᾱ_t) · β_t, the posterior variance (Eq. 7), clamped at 1e-20. */
    FIXED_SMALL("fixed_small"),
    /** σ_t² = β_t. */
    FIXED_LARGE("fixed_large");

    private final String diffusersName;

    VarianceType(String diffusersName) {
        this.diffusersName = diffusersName;
    }

    public String diffusersName() {
        return diffusersName;
    }

    /**
     * Parses a diffusers {@code variance_type}. {@code fixed_small_log} is the same distribution as
     * {@code fixed_small} (diffusers only takes the square root through the log), so it is accepted
     * as an alias; the learned variances need a network with a variance output and are refused.
     */
    public static VarianceType parse(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        switch (n) {
            case "fixed_small", "fixed_small_log" -> {
                return FIXED_SMALL;
            }
            case "fixed_large" -> {
                return FIXED_LARGE;
            }
            case "learned", "learned_range", "fixed_large_log" -> throw new IllegalArgumentException("variance_type \""
                    + name + "\" is not supported (learned variances need a network that outputs them);"
                    + " use fixed_small or fixed_large");
            default -> throw new IllegalArgumentException("unknown variance_type \"" + name
                    + "\"; use fixed_small or fixed_large");
        }
    }
}
