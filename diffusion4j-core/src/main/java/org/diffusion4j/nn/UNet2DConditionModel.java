package org.diffusion4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import org.diffusion4j.nn.Layers.Conv2d;
import org.diffusion4j.nn.Layers.GroupNorm;

/**
 * The text-conditional U-Net ε_θ(x_t, t, c) of latent diffusion (Rombach et al. 2022, Sec. 3.3) as diffusers'
 * {@code UNet2DConditionModel} computes it, with its state-dict names: the {@link UNet2DModel}'s residual
 * levels, where the attention of a level is a {@link Transformer2D} whose cross-attention reads the text
 * encoder's hidden states c.
 *
 * <pre>
 *   emb = time_embedding(time_proj(t));  h = conv_in(x)
 *   down: per level, per layer h = resnet(h, emb) [; h = transformer(h, c)], then downsample; skips pushed
 *   mid:  resnet → transformer(·, c) → resnet
 *   up:   per level, per layer h = resnet([h; skip], emb) [; h = transformer(h, c)], then upsample
 *   out = conv_out(SiLU(conv_norm_out(h)))
 * </pre>
 */
public final class UNet2DConditionModel implements AutoCloseable {

    private final UNet2DConditionConfig config;
    private final NDManager manager;
    private final Map<String, NDArray> parameters = new LinkedHashMap<>();
    private final Conv2d convIn;
    private final TimestepEmbedding timeEmbedding;
    private final List<Level> down = new ArrayList<>();
    private final ResnetBlock2D midResnet0;
    private final Transformer2D midAttention;
    private final ResnetBlock2D midResnet1;
    private final List<Level> up = new ArrayList<>();
    private final GroupNorm convNormOut;
    private final Conv2d convOut;

    private UNet2DConditionModel(UNet2DConditionConfig c, NDManager manager, ParameterFactory source) {
        this.config = c;
        this.manager = manager;
        ParameterFactory p = ParameterFactory.recording(source, parameters);
        int levels = c.levels();
        int c0 = c.blockOutChannels(0);
        int temb = c.timeEmbedDim();
        convIn = new Conv2d(p, "conv_in", c.inChannels(), c0, 3, 1, 1);
        timeEmbedding = new TimestepEmbedding(p, "time_embedding", c0, temb);
        int out = c0;
        for (int i = 0; i < levels; i++) {
            int in = out;
            out = c.blockOutChannels(i);
            Level level = new Level("down_blocks." + i);
            for (int j = 0; j < c.layersPerBlock(); j++) {
                level.resnets.add(new ResnetBlock2D(p, level.name + ".resnets." + j, j == 0 ? in : out, out, temb,
                        c.normNumGroups(), c.normEps(), 0, 1.0));
                if (c.crossAttnDown().get(i)) {
                    level.attentions.add(transformer(p, level.name + ".attentions." + j, out, c));
                }
            }
            level.downsampler = i < levels - 1 ? new Downsample2D(p, level.name + ".downsamplers.0", out, 1) : null;
            down.add(level);
        }
        int deepest = c.blockOutChannels(levels - 1);
        midAttention = transformer(p, "mid_block.attentions.0", deepest, c);
        midResnet0 = new ResnetBlock2D(p, "mid_block.resnets.0", deepest, deepest, temb, c.normNumGroups(), c.normEps(), 0,
                c.midBlockScaleFactor());
        midResnet1 = new ResnetBlock2D(p, "mid_block.resnets.1", deepest, deepest, temb, c.normNumGroups(), c.normEps(), 0,
                c.midBlockScaleFactor());
        out = deepest;
        for (int i = 0; i < levels; i++) {
            int prevOut = out;
            out = c.blockOutChannels(levels - 1 - i);
            int in = c.blockOutChannels(Math.max(levels - 2 - i, 0));
            Level level = new Level("up_blocks." + i);
            int layers = c.layersPerBlock() + 1;
            for (int j = 0; j < layers; j++) {
                int skip = j == layers - 1 ? in : out;
                level.resnets.add(new ResnetBlock2D(p, level.name + ".resnets." + j, (j == 0 ? prevOut : out) + skip, out, temb,
                        c.normNumGroups(), c.normEps(), 0, 1.0));
                if (c.crossAttnUp().get(i)) {
                    level.attentions.add(transformer(p, level.name + ".attentions." + j, out, c));
                }
            }
            level.upsampler = i < levels - 1 ? new Upsample2D(p, level.name + ".upsamplers.0", out) : null;
            up.add(level);
        }
        convNormOut = new GroupNorm(p, "conv_norm_out", c.normNumGroups(), c0, c.normEps());
        convOut = new Conv2d(p, "conv_out", c0, c.outChannels(), 3, 1, 1);
    }

    private static Transformer2D transformer(ParameterFactory p, String name, int channels, UNet2DConditionConfig c) {
        return new Transformer2D(p, name, channels, c.heads(), c.crossAttentionDim(), c.normNumGroups(),
                c.transformerLayersPerBlock());
    }

    /**
     * A new model with PyTorch's default initialisation from a generator seeded with {@code seed}; its parameters
     * record gradients (for training).
     */
    public static UNet2DConditionModel create(UNet2DConditionConfig config, NDManager manager, long seed) {
        return ParameterFactory.trainable(manager, seed, (own, p) -> new UNet2DConditionModel(config, own, p));
    }

    /** The parameter names and shapes of a configuration, without allocating anything. */
    public static Map<String, Shape> parameterShapes(UNet2DConditionConfig config) {
        Map<String, Shape> shapes = new LinkedHashMap<>();
        new UNet2DConditionModel(config, null, (name, shape, init) -> {
            shapes.put(name, shape);
            return null;
        });
        return shapes;
    }

    /**
     * A model whose parameters are made by {@code fetch(name, ownManager)} for each name of
     * {@link #parameterShapes} (the caller has checked names and shapes), converted to float32.
     */
    public static UNet2DConditionModel build(UNet2DConditionConfig config, NDManager manager,
            BiFunction<String, NDManager, NDArray> fetch) {
        return ParameterFactory.loaded(manager, fetch, (own, p) -> new UNet2DConditionModel(config, own, p));
    }

    public UNet2DConditionConfig config() {
        return config;
    }

    public Map<String, NDArray> parameters() {
        return Collections.unmodifiableMap(parameters);
    }

    /**
     * Inference (no autograd): ε_θ(x_t, t, c).
     *
     * @param sample x_t [N, in_channels, H, W]
     * @param timestep one value per row, or one for all (int64/float32)
     * @param context the text encoder's hidden states [N, L, cross_attention_dim]
     */
    public NDArray predict(NDArray sample, NDArray timestep, NDArray context) {
        return Layers.noGrad(() -> forward(sample, timestep, context, ActivationProbe.NONE));
    }

    /** The forward pass, recording what {@code probe} asks for (diffusers' module names). */
    public NDArray forward(NDArray sample, NDArray timestep, NDArray context, ActivationProbe probe) {
        long n = sample.getShape().get(0);
        if (context.getShape().dimension() != 3 || context.getShape().get(0) != n
                || context.getShape().get(2) != config.crossAttentionDim()) {
            throw new IllegalArgumentException("context must be [" + n + ", L, " + config.crossAttentionDim() + "], got "
                    + context.getShape());
        }
        NDManager m = sample.getManager();
        float[] t = timestep.toType(DataType.FLOAT32, false).toFloatArray();
        if (t.length == 1 && n > 1) {
            float v = t[0];
            t = new float[(int) n];
            java.util.Arrays.fill(t, v);
        }
        NDArray proj = TimestepEmbedding.timeProj(m, t, config.blockOutChannels(0), config.flipSinToCos(), config.freqShift());
        probe.record("time_proj", proj);
        NDArray emb = timeEmbedding.forward(proj);
        probe.record("time_embedding", emb);
        NDArray embAct = Layers.silu(emb);

        NDArray h = convIn.forward(sample);
        probe.record("conv_in", h);
        Deque<NDArray> skips = new ArrayDeque<>();
        skips.push(h);
        for (Level level : down) {
            for (int j = 0; j < level.resnets.size(); j++) {
                h = level.resnets.get(j).forward(h, embAct, false);
                probe.record(level.name + ".resnets." + j, h);
                if (!level.attentions.isEmpty()) {
                    h = level.attentions.get(j).forward(h, context);
                    probe.record(level.name + ".attentions." + j, h);
                }
                skips.push(h);
            }
            if (level.downsampler != null) {
                h = level.downsampler.forward(h);
                skips.push(h);
            }
            probe.record(level.name, h);
        }
        h = midResnet0.forward(h, embAct, false);
        probe.record("mid_block.resnets.0", h);
        h = midAttention.forward(h, context);
        probe.record("mid_block.attentions.0", h);
        h = midResnet1.forward(h, embAct, false);
        probe.record("mid_block", h);
        for (Level level : up) {
            for (int j = 0; j < level.resnets.size(); j++) {
                h = level.resnets.get(j).forward(h.concat(skips.pop(), 1), embAct, false);
                if (!level.attentions.isEmpty()) {
                    h = level.attentions.get(j).forward(h, context);
                }
            }
            if (level.upsampler != null) {
                h = level.upsampler.forward(h);
            }
            probe.record(level.name, h);
        }
        h = convNormOut.forward(h);
        probe.record("conv_norm_out", h);
        return convOut.forward(Layers.silu(h));
    }

    @Override
    public void close() {
        if (manager != null) {
            manager.close();
        }
    }

    /** One level of the down or up path: its residual blocks, their transformers (if any) and the resampler. */
    private static final class Level {
        final String name;
        final List<ResnetBlock2D> resnets = new ArrayList<>();
        final List<Transformer2D> attentions = new ArrayList<>();
        Downsample2D downsampler;
        Upsample2D upsampler;

        Level(String name) {
            this.name = name;
        }
    }
}
