package org.diffusion4j.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.util.Arrays;
import java.util.Locale;

/**
 * What the network predicts at (x_t, t), named as diffusers' {@code prediction_type}. With
 * x_t = √ᾱ_t x₀ + √(1−ᾱ_t) ε (Eq. 4 of Ho et al. 2020) and v = √ᾱ_t ε − √(1−ᾱ_t) x₀
 * (Salimans &amp; Ho 2022, Sec. 4), any one of ε, x₀, v determines the other two given x_t.
 *
 * <p>Each conversion exists in three forms: with a scalar ᾱ (one timestep for the whole batch);
 * with per-sample coefficients √ᾱ and √(1−ᾱ) as [N,1,…,1] arrays (the precise form, which
 * {@link GaussianDiffusion} uses, gathering both from the double schedule); and with ᾱ as an
 * [N,1,…,1] array, which computes √(1−ᾱ) in float64 — but a float32 ᾱ near 1 has already lost
 * the digits of 1−ᾱ (about 6e-4 relative at ᾱ = 0.9999), so pass ᾱ as float64 or prefer the
 * coefficient form. Results belong to the manager of the first array argument (x_t or x₀);
 * intermediates are freed.
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
            case EPSILON -> Scalar.divide(xt.sub(Scalar.times(modelOutput, s)), a);
            case SAMPLE -> modelOutput;
            case V_PREDICTION -> Scalar.times(xt, a).sub(Scalar.times(modelOutput, s));
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
            case SAMPLE -> Scalar.divide(xt.sub(Scalar.times(modelOutput, a)), s);
            case V_PREDICTION -> Scalar.times(xt, s).add(Scalar.times(modelOutput, a));
        };
    }

    /** The training target for this parameterisation, given x₀ and the noise ε that made x_t. */
    public NDArray target(NDArray x0, NDArray epsilon, double alphaCumprod) {
        return switch (this) {
            case EPSILON -> epsilon;
            case SAMPLE -> x0;
            case V_PREDICTION -> Scalar.times(epsilon, Math.sqrt(alphaCumprod))
                    .sub(Scalar.times(x0, Math.sqrt(1 - alphaCumprod)));
        };
    }

    // ---- per-sample forms: ᾱ as an [N,1,…,1] array -------------------------------------------

    /** {@link #predictedX0(NDArray, NDArray, double)} with a per-sample ᾱ_t of shape [N,1,…,1]. */
    public NDArray predictedX0(NDArray modelOutput, NDArray xt, NDArray alphaCumprod) {
        return Scoped.run(() -> {
            NDArray[] c = coefficients(alphaCumprod, xt.getDataType());
            return predictedX0(modelOutput, xt, c[0], c[1]);
        }, modelOutput, xt, alphaCumprod);
    }

    /** {@link #predictedEpsilon(NDArray, NDArray, double)} with a per-sample ᾱ_t of shape [N,1,…,1]. */
    public NDArray predictedEpsilon(NDArray modelOutput, NDArray xt, NDArray alphaCumprod) {
        return Scoped.run(() -> {
            NDArray[] c = coefficients(alphaCumprod, xt.getDataType());
            return predictedEpsilon(modelOutput, xt, c[0], c[1]);
        }, modelOutput, xt, alphaCumprod);
    }

    /** {@link #target(NDArray, NDArray, double)} with a per-sample ᾱ_t of shape [N,1,…,1]. */
    public NDArray target(NDArray x0, NDArray epsilon, NDArray alphaCumprod) {
        return Scoped.run(() -> {
            NDArray[] c = coefficients(alphaCumprod, x0.getDataType());
            return target(x0, epsilon, c[0], c[1]);
        }, x0, epsilon, alphaCumprod);
    }

    // ---- per-sample forms: √ᾱ and √(1−ᾱ) as [N,1,…,1] arrays (precise) ------------------------

    /**
     * x₀ from the model output at x_t with per-sample a = √ᾱ_t and s = √(1−ᾱ_t), each [N,1,…,1]:
     * ε → (x_t − s ε)/a (Eq. 15 of Ho et al. 2020), x₀ → itself, v → a x_t − s v.
     */
    public NDArray predictedX0(NDArray modelOutput, NDArray xt, NDArray sqrtAlphaCumprod, NDArray sqrtOneMinusAlphaCumprod) {
        return Scoped.run(() -> switch (this) {
            case EPSILON -> xt.sub(modelOutput.mul(sqrtOneMinusAlphaCumprod)).div(sqrtAlphaCumprod);
            case SAMPLE -> modelOutput;
            case V_PREDICTION -> xt.mul(sqrtAlphaCumprod).sub(modelOutput.mul(sqrtOneMinusAlphaCumprod));
        }, modelOutput, xt);
    }

    /** ε from the model output at x_t: ε → itself, x₀ → (x_t − a x₀)/s, v → s x_t + a v. */
    public NDArray predictedEpsilon(NDArray modelOutput, NDArray xt, NDArray sqrtAlphaCumprod, NDArray sqrtOneMinusAlphaCumprod) {
        return Scoped.run(() -> switch (this) {
            case EPSILON -> modelOutput;
            case SAMPLE -> xt.sub(modelOutput.mul(sqrtAlphaCumprod)).div(sqrtOneMinusAlphaCumprod);
            case V_PREDICTION -> xt.mul(sqrtOneMinusAlphaCumprod).add(modelOutput.mul(sqrtAlphaCumprod));
        }, modelOutput, xt);
    }

    /** The training target given x₀ and ε: ε, x₀, or v = a ε − s x₀ (Salimans &amp; Ho 2022). */
    public NDArray target(NDArray x0, NDArray epsilon, NDArray sqrtAlphaCumprod, NDArray sqrtOneMinusAlphaCumprod) {
        return Scoped.run(() -> switch (this) {
            case EPSILON -> epsilon;
            case SAMPLE -> x0;
            case V_PREDICTION -> epsilon.mul(sqrtAlphaCumprod).sub(x0.mul(sqrtOneMinusAlphaCumprod));
        }, x0, epsilon);
    }

    /**
     * Re-expresses this type's model output as what a model of type {@code to} would have output
     * at the same x_t (e.g. ε → v), via x̂₀ and ε̂.
     */
    public NDArray convert(PredictionType to, NDArray modelOutput, NDArray xt, NDArray sqrtAlphaCumprod, NDArray sqrtOneMinusAlphaCumprod) {
        if (to == this) {
            return modelOutput;
        }
        return Scoped.run(() -> {
            NDArray x0 = predictedX0(modelOutput, xt, sqrtAlphaCumprod, sqrtOneMinusAlphaCumprod);
            NDArray eps = predictedEpsilon(modelOutput, xt, sqrtAlphaCumprod, sqrtOneMinusAlphaCumprod);
            return to.target(x0, eps, sqrtAlphaCumprod, sqrtOneMinusAlphaCumprod);
        }, modelOutput, xt);
    }

    /** [√ᾱ, √(1−ᾱ)] computed in float64 and cast to {@code dtype}. */
    private static NDArray[] coefficients(NDArray alphaCumprod, DataType dtype) {
        NDArray a64 = alphaCumprod.toType(DataType.FLOAT64, false);
        NDArray sqrtA = a64.sqrt().toType(dtype, false);
        NDArray sqrtOneMinusA = a64.neg().add(1).sqrt().toType(dtype, false);
        return new NDArray[] {sqrtA, sqrtOneMinusA};
    }
}
