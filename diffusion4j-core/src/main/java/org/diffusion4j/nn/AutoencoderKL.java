package org.diffusion4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import org.diffusion4j.nn.Layers.Conv2d;
import org.diffusion4j.nn.Layers.GroupNorm;

/**
 * The KL-regularised auto-encoder of latent diffusion (Rombach et al. 2022, Sec. 3; Appendix G) as diffusers'
 * {@code AutoencoderKL} computes it, with its state-dict names. The encoder maps an image to the moments
 * (mean, log-variance clamped to [−30, 20]) of a diagonal Gaussian over latents 2^(levels−1) times smaller per
 * side; the decoder maps latents back to an image.
 *
 * <pre>
 *   encoder: conv_in → per level resnets (+ Downsample2D, padding (0,1,0,1), but the last) → mid (resnet, attention,
 *            resnet) → GroupNorm → SiLU → conv_out (2·latent channels) → quant_conv
 *   decoder: post_quant_conv → conv_in → mid → per level resnets (+ Upsample2D but the last) → GroupNorm → SiLU → conv_out
 * </pre>
 */
public final class AutoencoderKL implements AutoCloseable {

    /** Every GroupNorm of the auto-encoder uses this ε (diffusers' default for the VAE). */
    private static final double EPS = 1e-6;

    private final AutoencoderKLConfig config;
    private final NDManager manager;
    private final Map<String, NDArray> parameters = new LinkedHashMap<>();
    private final Coder encoder;
    private final Coder decoder;
    private final Conv2d quantConv;
    private final Conv2d postQuantConv;

    /** The encoder's Gaussian over latents: mean and log-variance, both [N, latent, h, w]. */
    public record LatentDistribution(NDArray mean, NDArray logvar) {
        public NDArray std() {
            return org.diffusion4j.diffusion.Scalar.times(logvar, 0.5).exp();
        }
    }

    private AutoencoderKL(AutoencoderKLConfig c, NDManager manager, ParameterFactory source) {
        this.config = c;
        this.manager = manager;
        ParameterFactory p = ParameterFactory.recording(source, parameters);
        encoder = new Coder(p, "encoder", c, true);
        decoder = new Coder(p, "decoder", c, false);
        quantConv = new Conv2d(p, "quant_conv", 2 * c.latentChannels(), 2 * c.latentChannels(), 1, 1, 0);
        postQuantConv = new Conv2d(p, "post_quant_conv", c.latentChannels(), c.latentChannels(), 1, 1, 0);
    }

    /** The parameter names and shapes of a configuration, without allocating anything. */
    public static Map<String, Shape> parameterShapes(AutoencoderKLConfig config) {
        Map<String, Shape> shapes = new LinkedHashMap<>();
        new AutoencoderKL(config, null, (name, shape, init) -> {
            shapes.put(name, shape);
            return null;
        });
        return shapes;
    }

    /** A model whose parameters are made by {@code fetch(name, ownManager)} (names and shapes checked by the caller). */
    public static AutoencoderKL build(AutoencoderKLConfig config, NDManager manager, BiFunction<String, NDManager, NDArray> fetch) {
        return ParameterFactory.loaded(manager, fetch, (own, p) -> new AutoencoderKL(config, own, p));
    }

    public AutoencoderKLConfig config() {
        return config;
    }

    public Map<String, NDArray> parameters() {
        return Collections.unmodifiableMap(parameters);
    }

    /**
     * A new model with PyTorch's default initialisation from a generator seeded with {@code seed}; its parameters
     * record gradients (for training).
     */
    public static AutoencoderKL create(AutoencoderKLConfig config, NDManager manager, long seed) {
        return ParameterFactory.trainable(manager, seed, (own, p) -> new AutoencoderKL(config, own, p));
    }

    /** The latent distribution of images x [N, in_channels, H, W] in [−1, 1]; no autograd. */
    public LatentDistribution encode(NDArray x, ActivationProbe probe) {
        return Layers.noGrad(() -> distribution(x, probe));
    }

    /**
     * The latents a diffusion model of this auto-encoder reads for images x (no autograd): μ of q(z | x) times
     * {@code scaling_factor} (Rombach et al. 2022, Sec. 3.1 and App. G), in x's manager.
     */
    public NDArray scaledMeanLatents(NDArray x) {
        return org.diffusion4j.diffusion.Scalar.times(encode(x, ActivationProbe.NONE).mean(), config.scalingFactor());
    }

    /** {@link #encode} with autograd (for training): the moments of the encoder, log-variance clamped to [−30, 20]. */
    public LatentDistribution distribution(NDArray x, ActivationProbe probe) {
        NDArray moments = quantConv.forward(encoder.forward(x, probe));
        long l = config.latentChannels();
        NDArray mean = moments.get(":, 0:{}", l);
        NDArray logvar = moments.get(":, {}:", l).clip(-30, 20);
        return new LatentDistribution(mean, logvar);
    }

    /** The image of latents z [N, latent_channels, h, w] (unscaled: divide diffusion latents by scaling_factor first). */
    public NDArray decode(NDArray z, ActivationProbe probe) {
        return Layers.noGrad(() -> reconstruct(z, probe));
    }

    /** {@link #decode} with autograd (for training). */
    public NDArray reconstruct(NDArray z, ActivationProbe probe) {
        NDArray h = postQuantConv.forward(z);
        probe.record("post_quant_conv", h);
        return decoder.forward(h, probe);
    }

    @Override
    public void close() {
        if (manager != null) {
            manager.close();
        }
    }

    /** The encoder or the decoder: conv_in, the levels, the mid block, the output norm and conv. */
    private static final class Coder {
        final String name;
        final Conv2d convIn;
        final List<List<ResnetBlock2D>> levels = new ArrayList<>();
        final List<Object> resamplers = new ArrayList<>();
        final ResnetBlock2D mid0;
        final Attention midAttention;
        final ResnetBlock2D mid1;
        final GroupNorm normOut;
        final Conv2d convOut;

        Coder(ParameterFactory p, String name, AutoencoderKLConfig c, boolean encoder) {
            this.name = name;
            int[] ch = c.blockOutChannels();
            int n = ch.length;
            int groups = c.normNumGroups();
            int deepest = ch[n - 1];
            convIn = encoder ? new Conv2d(p, name + ".conv_in", c.inChannels(), ch[0], 3, 1, 1)
                    : new Conv2d(p, name + ".conv_in", c.latentChannels(), deepest, 3, 1, 1);
            mid0 = new ResnetBlock2D(p, name + ".mid_block.resnets.0", deepest, deepest, 0, groups, EPS, 0, 1.0);
            midAttention = c.midBlockAttention()
                    ? new Attention(p, name + ".mid_block.attentions.0", deepest, deepest, groups, EPS, 1.0) : null;
            mid1 = new ResnetBlock2D(p, name + ".mid_block.resnets.1", deepest, deepest, 0, groups, EPS, 0, 1.0);
            if (encoder) {
                int out = ch[0];
                for (int i = 0; i < n; i++) {
                    int in = out;
                    out = ch[i];
                    List<ResnetBlock2D> resnets = new ArrayList<>();
                    for (int j = 0; j < c.layersPerBlock(); j++) {
                        resnets.add(new ResnetBlock2D(p, name + ".down_blocks." + i + ".resnets." + j, j == 0 ? in : out, out, 0,
                                groups, EPS, 0, 1.0));
                    }
                    levels.add(resnets);
                    resamplers.add(i < n - 1 ? new Downsample2D(p, name + ".down_blocks." + i + ".downsamplers.0", out, 0) : null);
                }
                normOut = new GroupNorm(p, name + ".conv_norm_out", groups, deepest, EPS);
                convOut = new Conv2d(p, name + ".conv_out", deepest, 2 * c.latentChannels(), 3, 1, 1);
            } else {
                int out = deepest;
                for (int i = 0; i < n; i++) {
                    int prev = out;
                    out = ch[n - 1 - i];
                    List<ResnetBlock2D> resnets = new ArrayList<>();
                    for (int j = 0; j < c.layersPerBlock() + 1; j++) {
                        resnets.add(new ResnetBlock2D(p, name + ".up_blocks." + i + ".resnets." + j, j == 0 ? prev : out, out, 0,
                                groups, EPS, 0, 1.0));
                    }
                    levels.add(resnets);
                    resamplers.add(i < n - 1 ? new Upsample2D(p, name + ".up_blocks." + i + ".upsamplers.0", out) : null);
                }
                normOut = new GroupNorm(p, name + ".conv_norm_out", groups, ch[0], EPS);
                convOut = new Conv2d(p, name + ".conv_out", ch[0], c.outChannels(), 3, 1, 1);
            }
        }

        NDArray forward(NDArray x, ActivationProbe probe) {
            NDArray h = convIn.forward(x);
            probe.record(name + ".conv_in", h);
            boolean encoder = name.equals("encoder");
            if (!encoder) {
                h = mid(h, probe);
            }
            for (int i = 0; i < levels.size(); i++) {
                for (ResnetBlock2D r : levels.get(i)) {
                    h = r.forward(h, null, false);
                }
                Object resampler = resamplers.get(i);
                if (resampler instanceof Downsample2D d) {
                    h = d.forward(h);
                } else if (resampler instanceof Upsample2D u) {
                    h = u.forward(h);
                }
                probe.record(name + (encoder ? ".down_blocks." : ".up_blocks.") + i, h);
            }
            if (encoder) {
                h = mid(h, probe);
            }
            h = convOut.forward(Layers.silu(normOut.forward(h)));
            probe.record(name + ".conv_out", h);
            return h;
        }

        private NDArray mid(NDArray h, ActivationProbe probe) {
            h = mid0.forward(h, null, false);
            if (midAttention != null) {
                h = midAttention.forward(h);
            }
            h = mid1.forward(h, null, false);
            probe.record(name + ".mid_block", h);
            return h;
        }
    }
}
