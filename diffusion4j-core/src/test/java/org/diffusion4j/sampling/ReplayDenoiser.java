package org.diffusion4j.sampling;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import org.diffusion4j.diffusion.Denoiser;
import org.diffusion4j.diffusion.PredictionType;

/**
 * A "network" that returns stored model outputs: the output recorded at loop step i (timestep
 * {@code timesteps[i]}) of a diffusers run, so a sampler can be teacher-forced against diffusers' scheduler
 * alone. Keyed by timestep, so it is stateless and fails loudly on a timestep diffusers never visited.
 */
final class ReplayDenoiser implements Denoiser {

    private final float[] outputs;
    private final Shape stepShape;
    private final long[] timesteps;

    /** {@code outputs} is {@code [steps, ...]} in loop order; {@code timesteps} the matching loop timesteps. */
    ReplayDenoiser(float[] outputs, long[] outputShape, long[] timesteps) {
        this.outputs = outputs;
        this.stepShape = new Shape(Arrays.copyOfRange(outputShape, 1, outputShape.length));
        this.timesteps = timesteps.clone();
        if (outputShape[0] != timesteps.length) {
            throw new IllegalArgumentException(outputShape[0] + " outputs for " + timesteps.length + " timesteps");
        }
    }

    @Override
    public NDArray predict(NDArray x, double t) {
        int step = -1;
        for (int i = 0; i < timesteps.length; i++) {
            if (timesteps[i] == t) {
                step = i;
            }
        }
        if (step < 0) {
            throw new AssertionError("timestep " + t + " was not visited by diffusers: " + Arrays.toString(timesteps));
        }
        if (!x.getShape().equals(stepShape)) {
            throw new AssertionError("x has shape " + x.getShape() + ", the stored outputs " + stepShape);
        }
        int per = Math.toIntExact(stepShape.size());
        return x.getManager().create(Arrays.copyOfRange(outputs, step * per, (step + 1) * per), stepShape);
    }

    @Override
    public PredictionType predictionType() {
        return PredictionType.EPSILON;
    }
}
