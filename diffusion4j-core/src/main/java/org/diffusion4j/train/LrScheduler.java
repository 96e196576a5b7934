package org.diffusion4j.train;

import java.util.Locale;

/**
 * The learning rate after the linear warm-up, as diffusers' {@code get_scheduler(name, num_warmup_steps,
 * num_training_steps)} shapes it: kept constant, or decayed to 0 at step N = {@code lr_total_steps} — linearly, or along
 * half a cosine (Loshchilov &amp; Hutter 2017, SGDR, without restarts). Past N the rate stays 0, as in diffusers.
 */
public enum LrScheduler {
    /** η from the end of the warm-up on. */
    CONSTANT("constant"),
    /** η·max(0, (N − s)/(N − W)). */
    LINEAR("linear"),
    /** η·½(1 + cos(π·p)), p = (s − W)/(N − W), and 0 for p ≥ 1. */
    COSINE("cosine");

    private final String jsonName;

    LrScheduler(String jsonName) {
        this.jsonName = jsonName;
    }

    public String jsonName() {
        return jsonName;
    }

    /** The scheduler named {@code s} (case-insensitive). */
    public static LrScheduler parse(String s) {
        for (LrScheduler l : values()) {
            if (l.jsonName.equals(s.toLowerCase(Locale.ROOT))) {
                return l;
            }
        }
        throw new IllegalArgumentException("use constant, linear or cosine");
    }

    /**
     * The multiplier of η at global step s: (s + 1)/W during the warm-up (s &lt; W), then this schedule's decay, which
     * reaches 0 at s = N.
     *
     * @param warmup W, the warm-up steps (0: none)
     * @param total N, the step where a decaying rate reaches 0 (ignored by {@link #CONSTANT}); N &gt; W
     */
    public double factor(long s, int warmup, long total) {
        if (s < warmup) {
            return (s + 1.0) / warmup;
        }
        if (this == CONSTANT) {
            return 1;
        }
        double p = Math.min(1.0, (double) (s - warmup) / (total - warmup));
        return this == LINEAR ? 1 - p : 0.5 * (1 + Math.cos(Math.PI * p));
    }
}
