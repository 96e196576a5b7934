package org.diffusion4j.schedule;

import java.util.Arrays;
import java.util.Locale;

/**
 * The β schedules, named as diffusers' {@code beta_schedule} names them so that a
 * {@code scheduler_config.json} maps one to one.
 */
public enum BetaSchedule {
    /** β linear from β₁ to β_T: the DDPM default (1e-4 → 0.02, T = 1000), Sec. 4 of Ho et al. 2020. */
    LINEAR("linear"),
    /** √β linear from √β₁ to √β_T, squared: the latent-diffusion (Stable Diffusion) schedule. */
    SCALED_LINEAR("scaled_linear"),
    /**
     * The cosine schedule of Nichol &amp; Dhariwal 2021, Eq. 17: ᾱ(t) = f(t)/f(0) with
     * f(t) = cos²(((t/T + s)/(1 + s)) · π/2), s = 0.008, and β_t = 1 − ᾱ_t/ᾱ_{t−1} clipped at 0.999.
     */
    SQUAREDCOS_CAP_V2("squaredcos_cap_v2"),
    /** β = sigmoid(linspace(−6, 6, T)) · (β_T − β₁) + β₁ (GeoDiff). */
    SIGMOID("sigmoid");

    /** The cosine schedule's offset s (Nichol &amp; Dhariwal 2021). */
    public static final double COSINE_S = 0.008;
    /** The cap on β in the cosine schedule. */
    public static final double MAX_BETA = 0.999;

    private final String diffusersName;

    BetaSchedule(String diffusersName) {
        this.diffusersName = diffusersName;
    }

    /** The name diffusers gives this schedule in {@code beta_schedule}. */
    public String diffusersName() {
        return diffusersName;
    }

    /** Parses a diffusers {@code beta_schedule} name (also accepts {@code cosine} for the cosine schedule). */
    public static BetaSchedule parse(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        if (n.equals("cosine")) {
            return SQUAREDCOS_CAP_V2;
        }
        for (BetaSchedule s : values()) {
            if (s.diffusersName.equals(n)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown beta_schedule \"" + name + "\"; use one of "
                + Arrays.stream(values()).map(BetaSchedule::diffusersName).toList());
    }

    /** β_1..β_T (index 0..T−1) for T steps; {@code betaStart}/{@code betaEnd} are ignored by the cosine schedule. */
    public double[] betas(int numTrainTimesteps, double betaStart, double betaEnd) {
        int n = numTrainTimesteps;
        if (n < 1) {
            throw new IllegalArgumentException("num_train_timesteps must be at least 1, got " + n);
        }
        double[] b = new double[n];
        for (int i = 0; i < n; i++) {
            double u = n == 1 ? 0 : (double) i / (n - 1);
            b[i] = switch (this) {
                case LINEAR -> betaStart + u * (betaEnd - betaStart);
                case SCALED_LINEAR -> sq(Math.sqrt(betaStart) + u * (Math.sqrt(betaEnd) - Math.sqrt(betaStart)));
                case SQUAREDCOS_CAP_V2 -> Math.min(1 - cosineAlphaBar((i + 1.0) / n) / cosineAlphaBar((double) i / n), MAX_BETA);
                case SIGMOID -> sigmoid(-6 + 12 * u) * (betaEnd - betaStart) + betaStart;
            };
        }
        return b;
    }

    /** f(t) of Nichol &amp; Dhariwal 2021, Eq. 17, for t ∈ [0, 1]. */
    static double cosineAlphaBar(double t) {
        return sq(Math.cos((t + COSINE_S) / (1 + COSINE_S) * Math.PI / 2));
    }

    private static double sq(double x) {
        return x * x;
    }

    private static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }
}
