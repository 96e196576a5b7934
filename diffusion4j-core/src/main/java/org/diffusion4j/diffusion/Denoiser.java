package org.diffusion4j.diffusion;

import ai.djl.ndarray.NDArray;
import org.diffusion4j.diffusion.Denoiser;

/**
 * The network's prediction at (x_t, t), whatever it was trained to predict. Samplers are handed a
 * denoiser; they never own a network. Conditioning (class labels, guidance) lives in the denoiser,
 * so every sampler supports it for free.
 */
public interface Denoiser {

    /**
     * The raw model output for a batch x at training timestep t ∈ [0, T−1]; t may be fractional
     * (the Euler/Heun samplers interpolate between training timesteps, as diffusers does).
     * The result belongs to {@code x}'s manager.
     */
    NDArray predict(NDArray x, double t);

    /** What {@link #predict} returns: ε, x₀ or v. */
    PredictionType predictionType();

    /** The network call of a denoiser: output for batch x at timestep t (in x's manager). */
    @FunctionalInterface
    interface Prediction {
        NDArray apply(NDArray x, double t);
    }

    /**
     * A denoiser from a function, e.g. a UNet:
     * {@code Denoiser.of(EPSILON, (x, t) -> unet.predict(x, x.getManager().full(new Shape(n), (float) t)))}.
     */
    static Denoiser of(PredictionType predictionType, Prediction prediction) {
        java.util.Objects.requireNonNull(predictionType, "predictionType");
        java.util.Objects.requireNonNull(prediction, "prediction");
        return new Denoiser() {
            @Override
            public NDArray predict(NDArray x, double t) {
                return prediction.apply(x, t);
            }

            @Override
            public PredictionType predictionType() {
                return predictionType;
            }
        };
    }
}
