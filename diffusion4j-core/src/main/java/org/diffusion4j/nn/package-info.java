/**
 * Neural networks: the noise predictor {@link org.diffusion4j.nn.UNet2DModel}, built exactly as
 * diffusers' {@code UNet2DModel} from its {@code config.json} ({@link org.diffusion4j.nn.UNet2DConfig})
 * and exchanging weights with diffusers under the same state-dict names.
 *
 * <p>Style: each diffusers module is a small package-private class ({@code ResnetBlock2D},
 * {@code Attention}, {@code DownBlock2D}, …) holding its parameters as NDArrays and computing its
 * forward with libtorch ops, readable top to bottom like nanoGPT's {@code model.py}; parameter names
 * are composed from the module path as diffusers composes them, so the model's name → NDArray map is
 * its state dict. Layers never invoke an op on a parameter, so forward intermediates belong to the
 * caller's (per-step) manager. This package knows nothing of diffusion.
 */
package org.diffusion4j.nn;
