package org.diffusion4j.sampling;

import ai.djl.ndarray.NDArray;
import org.diffusion4j.diffusion.Denoiser;
import org.diffusion4j.diffusion.NoiseSource;

/**
 * Inpainting by blending: after every reverse step the known region is replaced by the original noised to the
 * level the state has reached, x ← m ⊙ x + (1 − m) ⊙ q(x_t | x₀), and the last step puts back x₀ itself — the
 * "replacement" conditioning of Song et al. 2021 (App. I.2) and of diffusers' StableDiffusionInpaintPipeline with a
 * standard (4-channel) U-Net, which also reuses the starting noise ε for every q(x_t | x₀). RePaint without
 * resampling ({@link RePaint} with {@code jumpNSample = 1}) draws fresh noise instead. Works with every sampler that
 * {@link Sampler#edits()}; the known pixels of the result equal x₀ exactly.
 */
public final class MaskBlend {

    private MaskBlend() {}

    /**
     * Inpaints {@code x0} ([B, C, H, W]) where {@code mask} ([B, 1, H, W] or [B, C, H, W]) is 1 — diffusers' convention,
     * white = repaint — starting from {@code xT} (standard normal, the shape of x0). The result belongs to x0's manager.
     */
    public static NDArray inpaint(Sampler sampler, Denoiser denoiser, NDArray x0, NDArray mask, NDArray xT, NoiseSource noise,
            SamplingListener listener) {
        SdEdit.requireEdits(sampler, "inpainting");
        NDArray keep = mask.neg().add(1f);
        NDArray start = sampler.noised(x0, xT, 0);
        try {
            StepHook known = (step, x) -> {
                // the step's temporaries go to the step's manager, the inputs back to theirs when it closes
                for (NDArray a : new NDArray[] {x0, xT, mask, keep}) {
                    a.tempAttach(x.getManager());
                }
                return x.mul(mask).add(sampler.noised(x0, xT, step + 1).mul(keep));
            };
            return sampler.sampleFrom(0, denoiser, start, noise, listener, known);
        } finally {
            start.close();
            keep.close();
        }
    }
}
