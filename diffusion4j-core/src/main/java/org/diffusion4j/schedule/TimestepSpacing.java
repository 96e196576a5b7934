package org.diffusion4j.schedule;

import java.util.Arrays;
import java.util.Locale;

/**
 * How a sampler with fewer steps than T picks its timesteps, as diffusers' {@code timestep_spacing}
 * does in {@code set_timesteps} (Table 2 of Lin et al. 2024 compares them). Timesteps are returned
 * in sampling order, from noisiest to cleanest.
 */
public enum TimestepSpacing {
    /** t = k · ⌊T/n⌋ + offset for k = n−1..0 (DDIM's original choice). */
    LEADING("leading"),
    /** t = round(T − k · T/n) − 1 for k = 0..n−1: always starts at T−1. */
    TRAILING("trailing"),
    /** t = round(linspace(0, T−1, n)), reversed. */
    LINSPACE("linspace");

    private final String diffusersName;

    TimestepSpacing(String diffusersName) {
        this.diffusersName = diffusersName;
    }

    public String diffusersName() {
        return diffusersName;
    }

    /** Parses a diffusers {@code timestep_spacing} name. */
    public static TimestepSpacing parse(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        for (TimestepSpacing s : values()) {
            if (s.diffusersName.equals(n)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown timestep spacing \"" + name + "\"; use one of "
                + Arrays.stream(values()).map(TimestepSpacing::diffusersName).toList());
    }

    /**
     * The n timesteps of a sampler over a T-step schedule, as diffusers' DDPM/DDIM
     * {@code set_timesteps} computes them.
     */
    public int[] timesteps(int numTrainTimesteps, int steps, int stepsOffset) {
        int t = numTrainTimesteps;
        if (steps < 1 || steps > t) {
            throw new IllegalArgumentException("steps must be in [1, " + t + "], got " + steps);
        }
        int[] out = new int[steps];
        for (int k = 0; k < steps; k++) {
            out[k] = switch (this) {
                case LEADING -> (steps - 1 - k) * (t / steps) + stepsOffset;
                case TRAILING -> (int) Math.rint(t - k * ((double) t / steps)) - 1;
                case LINSPACE -> (int) Math.rint(steps == 1 ? 0 : (steps - 1 - k) * (t - 1.0) / (steps - 1));
            };
        }
        return out;
    }
}
