package org.diffusion4j.diffusion;

import ai.djl.ndarray.NDArray;
import java.util.Arrays;
import java.util.Locale;

/**
 * What the network predicts at (x_t, t), named as diffusers' {@code prediction_type}. With
 * x_t = √ᾱ_t x₀ + √(1−ᾱ_t) ε (Eq. 4 of Ho et al. 2020) and v = √ᾱ_t ε − √(1−ᾱ_t) x₀
 * (Salimans &amp; Ho 2022, Sec. 4), any one of ε, x₀, v determines the other two given x_t.
 */
public enum PredictionType {
    /** ε-prediction, the DDPM parameterisation (Eq. 11 of Ho et al. 2020). */
    EPSILON("epsilon"),
    /** x₀-prediction. */
    SAMPLE("sample"),
    /** v-prediction (Salimans &amp; Ho 2022). */
    V_PREDICTION("v_prediction");

    private final String diffusersName;

    PredictionType(String diffusersName) {
        this.diffusersName = diffusersName;
    }

    public String diffusersName() {
        return diffusersName;
    }

    public static PredictionType parse(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        for (PredictionType p : values()) {
            if (p.diffusersName.equals(n) || p.name().equalsIgnoreCase(n)) {
                return p;
            }
        }
        if (n.equals("v")) {
            return V_PREDICTION;
        }
        throw new IllegalArgumentException("unknown prediction_type \"" + name + "\"; use one of "
                + Arrays.stream(values()).map(PredictionType::diffusersName).toList());
    }

    /**
     * x₀ from the model output at x_t, where {@code alphaCumprod} is ᾱ_t:
     * ε → (x_t − √(1−ᾱ) ε)/√ᾱ (Eq. 15 of Ho et al.), x₀ → itself, v → √ᾱ x_t − √(1−ᾱ) v.
     */
    public NDArray predictedX0(NDArray modelOutput, NDArray xt, double alphaCumprod) {
        double a = Math.sqrt(alphaCumprod);
        double s = Math.sqrt(1 - alphaCumprod);
        return switch (this) {
            case EPSILON -> xt.sub(modelOutput.mul(s)).div(a);
            case SAMPLE -> modelOutput;
            case V_PREDICTION -> xt.mul(a).sub(modelOutput.mul(s));
        };
    }

    /**
     * ε from the model output at x_t: ε → itself, x₀ → (x_t − √ᾱ x₀)/√(1−ᾱ), v → √(1−ᾱ) x_t + √ᾱ v.
     */
    public NDArray predictedEpsilon(NDArray modelOutput, NDArray xt, double alphaCumprod) {
        double a = Math.sqrt(alphaCumprod);
        double s = Math.sqrt(1 - alphaCumprod);
        return switch (this) {
            case EPSILON -> modelOutput;
            case SAMPLE -> xt.sub(modelOutput.mul(a)).div(s);
            case V_PREDICTION -> xt.mul(s).add(modelOutput.mul(a));
        };
    }

    /** The training target for this parameterisation, given x₀ and the noise ε that made x_t. */
    public NDArray target(NDArray x0, NDArray epsilon, double alphaCumprod) {
        return switch (this) {
            case EPSILON -> epsilon;
            case SAMPLE -> x0;
            case V_PREDICTION -> epsilon.mul(Math.sqrt(alphaCumprod)).sub(x0.mul(Math.sqrt(1 - alphaCumprod)));
        };
    }
}
