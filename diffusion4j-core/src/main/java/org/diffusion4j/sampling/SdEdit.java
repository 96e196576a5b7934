package org.diffusion4j.sampling;

import ai.djl.ndarray.NDArray;
import java.util.Locale;
import org.diffusion4j.diffusion.Denoiser;
import org.diffusion4j.diffusion.NoiseSource;

/**
 * SDEdit (Meng et al. 2022, "SDEdit: Guided Image Synthesis and Editing with Stochastic Differential Equations",
 * Algorithm 1): perturb a guide image x^(g) to t₀ = strength·T, x(t₀) ~ q(x_t₀ | x^(g)), and run the reverse process
 * from there — low strength stays faithful to the guide, high strength gives the model freedom (realism). The step
 * arithmetic is diffusers' img2img {@code get_timesteps}: of a sampler's n steps the last ⌊n·strength⌋ run, from
 * {@code startStep = n − ⌊n·strength⌋}, and the guide is noised to that step's level with ε ({@code add_noise}).
 * Works with every sampler that {@link Sampler#edits()}.
 */
public final class SdEdit {

    private SdEdit() {}

    /**
     * The loop step a run of strength {@code strength} starts at: n − min(⌊n·strength⌋, n).
     *
     * @throws IllegalArgumentException for a strength outside (0, 1], or one that leaves no step to run
     */
    public static int startStep(int n, double strength) {
        if (!(strength > 0 && strength <= 1)) {
            throw new IllegalArgumentException("--strength must be in (0, 1] (the fraction of the reverse process run; "
                    + "diffusers' img2img strength), got " + strength);
        }
        int run = Math.min((int) (n * strength), n);
        if (run < 1) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "--strength %s with %d steps runs no step "
                    + "(⌊%d · %s⌋ = 0); raise --strength or --steps", strength, n, n, strength));
        }
        return n - run;
    }

    /**
     * Edits the guide images {@code guide} ([B, C, H, W] in the model's range) with {@code sampler}: noised with
     * {@code epsilon} (standard normal, same shape) to the level of {@link #startStep}, then the remaining steps. The
     * listener counts the steps run (0 … run−1 of run). The result belongs to {@code guide}'s manager.
     */
    public static NDArray edit(Sampler sampler, Denoiser denoiser, NDArray guide, NDArray epsilon, double strength,
            NoiseSource noise, SamplingListener listener) {
        requireEdits(sampler, "SDEdit");
        int n = sampler.steps();
        int from = startStep(n, strength);
        NDArray start = sampler.noised(guide, epsilon, from);
        try {
            SamplingListener renumbered = (step, total, t, x, x0) -> listener.onStep(step - from, total - from, t, x, x0);
            return sampler.sampleFrom(from, denoiser, start, noise, renumbered, StepHook.NONE);
        } finally {
            start.close();
        }
    }

    /** Refuses a sampler that cannot start from a noised image, naming the ones that can. */
    public static void requireEdits(Sampler sampler, String method) {
        if (!sampler.edits()) {
            throw new IllegalArgumentException("--sampler " + sampler.name() + " cannot run " + method + ": it does not walk a "
                    + "fixed sequence of noise levels that an image can be noised to; use " + editingSamplers());
        }
    }

    /** The registered samplers that can edit, for messages. */
    static String editingSamplers() {
        return String.join(", ", Samplers.names().stream().filter(Samplers::edits).toList());
    }
}
