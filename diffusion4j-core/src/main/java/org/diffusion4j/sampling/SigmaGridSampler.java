package org.diffusion4j.sampling;

import ai.djl.ndarray.NDArray;
import org.diffusion4j.diffusion.Denoiser;
import org.diffusion4j.diffusion.NoiseSource;

/**
 * What the samplers over a σ-grid ({@link Sigmas}) share: x_T is scaled by the grid's initial noise level,
 * the loop has one step per grid interval, and an edit starts from the grid's noised state — x₀ + σ ε in the
 * variance-exploding view x̃ = x_t/√ᾱ_t that Euler and Heun step, √ᾱ x₀ + √(1−ᾱ) ε for DPM-Solver++, which
 * steps x_t itself.
 */
public abstract sealed class SigmaGridSampler implements Sampler permits Euler, Heun, DpmSolverPP {

    /** The state a sampler steps: x̃ (variance exploding) or x_t (variance preserving). */
    enum State { VARIANCE_EXPLODING, VARIANCE_PRESERVING }

    protected final Sigmas grid;
    private final State state;

    SigmaGridSampler(Sigmas grid, State state) {
        this.grid = grid;
        this.state = state;
    }

    @Override
    public final NDArray sample(Denoiser denoiser, NDArray xT, NoiseSource noise, SamplingListener listener) {
        NDArray start = xT.mul(grid.initNoiseSigma());
        try {
            return sampleFrom(0, denoiser, start, noise, listener, StepHook.NONE);
        } finally {
            start.close();
        }
    }

    @Override
    public final boolean edits() {
        return true;
    }

    @Override
    public final int steps() {
        return grid.steps();
    }

    @Override
    public final NDArray noised(NDArray x0, NDArray epsilon, int step) {
        return state == State.VARIANCE_EXPLODING ? grid.noisedVe(x0, epsilon, step) : grid.noisedVp(x0, epsilon, step);
    }

    @Override
    public abstract NDArray sampleFrom(int from, Denoiser denoiser, NDArray start, NoiseSource noise, SamplingListener listener,
            StepHook hook);

    /** The grid this sampler steps over. */
    public final Sigmas grid() {
        return grid;
    }

    /** One network evaluation per step; Heun overrides. */
    @Override
    public int evaluations() {
        return grid.steps();
    }
}
