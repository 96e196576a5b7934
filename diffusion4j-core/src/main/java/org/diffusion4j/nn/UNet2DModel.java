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
import java.util.SplittableRandom;
import java.util.function.BiFunction;
import org.diffusion4j.diffusion.Scalar;
import org.diffusion4j.nn.Layers.Conv2d;
import org.diffusion4j.nn.Layers.Embedding;
import org.diffusion4j.nn.Layers.GroupNorm;

/**
 * The noise predictor ε_θ(x_t, t) of Ho et al. 2020 (Appendix B; Eq. 14 trains it), built exactly
 * as diffusers' {@code UNet2DModel} (0.31) from the same {@code config.json}, with the same
 * state-dict names, so weights move both ways between this class and diffusers.
 *
 * <p>Forward, top to bottom (diffusers' {@code UNet2DModel.forward}):
 *
 * <ol>
 *   <li>optionally x ← 2x − 1 ({@code center_input_sample});
 *   <li>emb = time_embedding(time_proj(t)) [+ class_embedding(y)];
 *   <li>h = conv_in(x); each down block (residual blocks [+ attention], stride-2 conv) pushes skip
 *       connections;
 *   <li>mid block: residual, attention, residual;
 *   <li>each up block concatenates skips (most recent first) into its residual blocks [+ attention],
 *       then upsamples ×2 (nearest + conv);
 *   <li>conv_out(silu(conv_norm_out(h))).
 * </ol>
 *
 * <p>Parameters live in a name → NDArray map ({@link #parameters()}, in the order the forward uses
 * them) held by the model's own {@link NDManager}; each requires gradients, so a training step
 * inside a {@link ai.djl.training.GradientCollector} reaches all of them ({@code getGradient()}
 * returns a new array attached to the model's manager on every call: close it). Forward
 * intermediates belong to the sample's manager: run each step in a sub-manager. Dropout is active
 * only when {@link #setTraining(boolean) training}. Inference goes through {@code predict} (no
 * autograd on any thread, no dropout). Close the model to free its parameters.
 */
public final class UNet2DModel implements AutoCloseable {

    private final UNet2DConfig config;
    private final NDManager manager;
    private final Map<String, NDArray> parameters = new LinkedHashMap<>();
    private volatile boolean training;

    private final Conv2d convIn;
    private final TimestepEmbedding timeEmbedding;
    private final Embedding classEmbedding;
    private final List<DownBlock2D> downBlocks = new ArrayList<>();
    private final UNetMidBlock2D midBlock;
    private final List<UpBlock2D> upBlocks = new ArrayList<>();
    private final GroupNorm convNormOut;
    private final Conv2d convOut;

    private UNet2DModel(UNet2DConfig c, NDManager manager, ParameterFactory source) {
        this.config = c;
        this.manager = manager;
        ParameterFactory p = (name, shape, init) -> {
            NDArray a = source.create(name, shape, init);
            if (a != null) {
                a.setName(name);
                a.setRequiresGradient(true);
            }
            parameters.put(name, a);
            return a;
        };
        int levels = c.numLevels();
        int c0 = c.blockOutChannels(0);
        convIn = new Conv2d(p, "conv_in", c.inChannels(), c0, 3, 1, 1);
        timeEmbedding = new TimestepEmbedding(p, "time_embedding", c0, c.timeEmbedDim());
        classEmbedding = c.numClassEmbeds() == null ? null
                : new Embedding(p, "class_embedding", c.numClassEmbeds(), c.timeEmbedDim());
        int out = c0;
        for (int i = 0; i < levels; i++) {
            int in = out;
            out = c.blockOutChannels(i);
            downBlocks.add(new DownBlock2D(p, "down_blocks." + i, c, in, out, c.downBlockTypes().get(i).hasAttention(),
                    i < levels - 1));
        }
        midBlock = new UNetMidBlock2D(p, c);
        out = c.blockOutChannels(levels - 1);
        for (int i = 0; i < levels; i++) {
            int prevOut = out;
            out = c.blockOutChannels(levels - 1 - i);
            int in = c.blockOutChannels(Math.max(levels - 2 - i, 0));
            upBlocks.add(new UpBlock2D(p, "up_blocks." + i, c, in, out, prevOut, c.upBlockTypes().get(i).hasAttention(),
                    i < levels - 1));
        }
        convNormOut = new GroupNorm(p, "conv_norm_out", c.normNumGroups(), c0, c.normEps());
        convOut = new Conv2d(p, "conv_out", c0, c.outChannels(), 3, 1, 1);
    }

    // ---------------------------------------------------------------- construction

    /**
     * The name and shape of every parameter of a configuration, in the order the forward uses them,
     * computed without allocating any tensor.
     */
    public static Map<String, Shape> parameterShapes(UNet2DConfig config) {
        Map<String, Shape> shapes = new LinkedHashMap<>();
        new UNet2DModel(config, null, (name, shape, init) -> {
            shapes.put(name, shape);
            return null;
        });
        return shapes;
    }

    /**
     * A new model with PyTorch's default initialisation (what diffusers gets): conv and linear
     * weights and biases U(−1/√fan_in, 1/√fan_in), GroupNorm γ = 1 and β = 0, class embeddings
     * N(0, 1), drawn from a generator seeded with {@code seed} (same seed → same weights).
     *
     * @param manager the model allocates its parameters in a new sub-manager of this one
     */
    public static UNet2DModel create(UNet2DConfig config, NDManager manager, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        NDManager own = manager.newSubManager();
        try {
            return new UNet2DModel(config, own, (name, shape, init) -> own.create(init.values(Math.toIntExact(shape.size()), rng), shape));
        } catch (RuntimeException e) {
            own.close();
            throw e;
        }
    }

    /**
     * A model holding copies of the given weights (diffusers names; the legacy attention names
     * query/key/value/proj_attn are accepted; float16/bfloat16/float64 are converted to float32).
     *
     * @throws IllegalArgumentException listing every missing, unexpected or misshapen tensor
     */
    public static UNet2DModel fromParameters(UNet2DConfig config, Map<String, NDArray> weights, NDManager manager) {
        Map<String, String> byName = StateDict.canonicalNames(weights.keySet(), "the weights");
        Map<String, Shape> shapes = new LinkedHashMap<>();
        Map<String, DataType> types = new LinkedHashMap<>();
        byName.forEach((canonical, key) -> {
            shapes.put(canonical, weights.get(key).getShape());
            types.put(canonical, weights.get(key).getDataType());
        });
        StateDict.check(parameterShapes(config), shapes, types, "the weights");
        return build(config, manager, (name, own) -> weights.get(byName.get(name)).duplicate());
    }

    /**
     * A float64 copy of this model, whose forward takes and returns float64: the reference that
     * float32 results are checked against (libtorch computes float64 convolutions with its own
     * kernels, never oneDNN's).
     */
    public UNet2DModel toFloat64(NDManager manager) {
        UNet2DModel copy = build(config, manager, (name, own) -> parameters.get(name).toType(DataType.FLOAT64, true),
                DataType.FLOAT64);
        copy.setTraining(training);
        return copy;
    }

    /**
     * A model whose parameters (float32) are made by {@code fetch(name, ownManager)}, for each canonical
     * (diffusers) parameter name of {@link #parameterShapes}; the caller has checked names and shapes
     * (a loader streaming weights from a file, say).
     */
    public static UNet2DModel build(UNet2DConfig config, NDManager manager, BiFunction<String, NDManager, NDArray> fetch) {
        return build(config, manager, fetch, DataType.FLOAT32);
    }

    /** Builds a model whose parameters are {@code type} copies produced by {@code fetch}, in its own sub-manager. */
    private static UNet2DModel build(UNet2DConfig config, NDManager manager, BiFunction<String, NDManager, NDArray> fetch,
            DataType type) {
        NDManager own = manager.newSubManager();
        try {
            return new UNet2DModel(config, own, (name, shape, init) -> {
                NDArray a = fetch.apply(name, own);
                NDArray f = a.getDataType() == type ? a : a.toType(type, false);
                if (f != a) {
                    a.close();
                }
                f.attach(own);
                return f;
            });
        } catch (RuntimeException e) {
            own.close();
            throw e;
        }
    }

    // ---------------------------------------------------------------- forward

    /**
     * Predicts the noise ε_θ(x_t, t) of an unconditional model, recording autograd history when the
     * calling thread's gradient mode is on (inside a {@link ai.djl.training.GradientCollector}) —
     * the training forward. Dropout is active when {@link #setTraining(boolean) training}.
     *
     * <p>Note: libtorch's gradient mode is per thread and on by default on threads other than the
     * one that started the engine; for inference use {@link #predict(NDArray, NDArray)}, which
     * never records history.
     *
     * @param sample x_t, float32 [N, in_channels, H, W], H and W multiples of {@link
     *     UNet2DConfig#sizeMultiple()}
     * @param timestep t, int64/int32/float32/float64, shape [N], [1] or scalar
     * @return float32 [N, out_channels, H, W], owned by the sample's manager
     */
    public NDArray forward(NDArray sample, NDArray timestep) {
        return forward(sample, timestep, null, training, ActivationProbe.NONE);
    }

    /**
     * The training forward of a class-conditional model ({@code num_class_embeds} set): the class
     * embedding is added to the timestep embedding.
     *
     * @param classLabels integer class indices in [0, num_class_embeds), shape [N], [1] or scalar; must
     *     be null exactly when the model is unconditional
     */
    public NDArray forward(NDArray sample, NDArray timestep, NDArray classLabels) {
        return forward(sample, timestep, classLabels, training, ActivationProbe.NONE);
    }

    /**
     * Inference: the forward in evaluation mode (no dropout) with autograd off on this thread for the
     * call (torch.no_grad), whatever the training flag — what samplers and evaluation call.
     */
    public NDArray predict(NDArray sample, NDArray timestep) {
        return predict(sample, timestep, null);
    }

    /**
     * Inference at one timestep for the whole batch, given as a number (fractional values are
     * allowed, as the Euler-type samplers use; diffusers passes them as float32, and so does this).
     */
    public NDArray predict(NDArray sample, double timestep) {
        return predict(sample, sample.getManager().create((float) timestep), null);
    }

    /** Inference for a class-conditional model; see {@link #predict(NDArray, NDArray)}. */
    public NDArray predict(NDArray sample, NDArray timestep, NDArray classLabels) {
        return Layers.noGrad(() -> forward(sample, timestep, classLabels, false, ActivationProbe.NONE));
    }

    NDArray forward(NDArray sample, NDArray timestep, NDArray classLabels, ActivationProbe probe) {
        return forward(sample, timestep, classLabels, training, probe);
    }

    private NDArray forward(NDArray sample, NDArray timestep, NDArray classLabels, boolean training,
            ActivationProbe probe) {
        long n = checkSample(sample);
        NDManager m = sample.getManager();
        NDArray x = config.centerInputSample() ? Scalar.times(sample, 2).sub(1) : sample;

        // 1. time (and class) embedding
        NDArray tProj = TimestepEmbedding.timeProj(m, timesteps(timestep, n), config.blockOutChannels(0),
                config.flipSinToCos(), config.freqShift());
        if (sample.getDataType() != DataType.FLOAT32) {
            tProj = tProj.toType(sample.getDataType(), false); // a float64 reference model
        }
        probe.record("time_proj", tProj);
        NDArray emb = timeEmbedding.forward(tProj);
        probe.record("time_embedding", emb);
        if (classEmbedding != null) {
            if (classLabels == null) {
                throw new IllegalArgumentException("this model is class-conditional (num_class_embeds = "
                        + config.numClassEmbeds() + "): pass class labels");
            }
            emb = emb.add(classEmbedding.forward(m.create(classLabels(classLabels, n))));
            probe.record("emb", emb);
        } else if (classLabels != null) {
            throw new IllegalArgumentException("this model is unconditional (num_class_embeds is null): "
                    + "class labels cannot be used");
        }
        NDArray embAct = Layers.silu(emb);

        // 2. down path, pushing skip connections
        NDArray h = convIn.forward(x);
        probe.record("conv_in", h);
        Deque<NDArray> skips = new ArrayDeque<>();
        skips.push(h);
        for (DownBlock2D block : downBlocks) {
            h = block.forward(h, embAct, skips, training, probe);
        }

        // 3. mid, 4. up path, consuming skips most recent first
        h = midBlock.forward(h, embAct, training, probe);
        for (UpBlock2D block : upBlocks) {
            h = block.forward(h, embAct, skips, training, probe);
        }

        // 5. output
        h = convNormOut.forward(h);
        probe.record("conv_norm_out", h);
        h = Layers.silu(h);
        probe.record("conv_act", h);
        h = convOut.forward(h);
        probe.record("conv_out", h);
        return h;
    }

    private long checkSample(NDArray sample) {
        Shape s = sample.getShape();
        int k = config.sizeMultiple();
        if (s.dimension() != 4 || s.get(0) < 1 || s.get(1) != config.inChannels() || s.get(2) < 1 || s.get(3) < 1
                || s.get(2) % k != 0 || s.get(3) % k != 0) {
            throw new IllegalArgumentException("sample must be [N, " + config.inChannels() + ", H, W] with N ≥ 1 and H, W "
                    + "positive multiples of " + k + " (2^(levels-1)), got " + s);
        }
        DataType type = convIn.weight.getDataType();
        if (sample.getDataType() != type) {
            throw new IllegalArgumentException("sample must be " + type + ", got " + sample.getDataType());
        }
        return s.get(0);
    }

    /** The timesteps as float32 values, one per batch element (diffusers' {@code timesteps.float()}). */
    private static float[] timesteps(NDArray timestep, long n) {
        Shape s = timestep.getShape();
        if (s.dimension() > 1 || (s.dimension() == 1 && s.get(0) != n && s.get(0) != 1)) {
            throw new IllegalArgumentException("timestep must be a scalar, [1] or [N] = [" + n + "], got " + s);
        }
        float[] v = new float[(int) s.size()];
        switch (timestep.getDataType()) {
            case INT64 -> {
                long[] a = timestep.toLongArray();
                for (int i = 0; i < v.length; i++) {
                    v[i] = a[i];
                }
            }
            case INT32 -> {
                int[] a = timestep.toIntArray();
                for (int i = 0; i < v.length; i++) {
                    v[i] = a[i];
                }
            }
            case FLOAT32 -> v = timestep.toFloatArray();
            case FLOAT64 -> {
                double[] a = timestep.toDoubleArray();
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) a[i];
                }
            }
            default -> throw new IllegalArgumentException("timestep must be int64, int32, float32 or float64, got "
                    + timestep.getDataType());
        }
        return broadcast(v, n);
    }

    private long[] classLabels(NDArray labels, long n) {
        Shape s = labels.getShape();
        if (s.dimension() > 1 || (s.dimension() == 1 && s.get(0) != n && s.get(0) != 1)) {
            throw new IllegalArgumentException("class labels must be a scalar, [1] or [N] = [" + n + "], got " + s);
        }
        long[] v;
        switch (labels.getDataType()) {
            case INT64 -> v = labels.toLongArray();
            case INT32 -> v = java.util.Arrays.stream(labels.toIntArray()).asLongStream().toArray();
            default -> throw new IllegalArgumentException("class labels must be int64 or int32, got " + labels.getDataType());
        }
        for (long y : v) {
            if (y < 0 || y >= config.numClassEmbeds()) {
                throw new IllegalArgumentException("class label " + y + " is outside [0, " + config.numClassEmbeds() + ")");
            }
        }
        if (v.length == n) {
            return v;
        }
        long[] out = new long[(int) n];
        java.util.Arrays.fill(out, v[0]);
        return out;
    }

    private static float[] broadcast(float[] v, long n) {
        if (v.length == n) {
            return v;
        }
        float[] out = new float[(int) n];
        java.util.Arrays.fill(out, v[0]);
        return out;
    }

    // ---------------------------------------------------------------- accessors

    /** The configuration this model was built from. */
    public UNet2DConfig config() {
        return config;
    }

    /**
     * The live parameters, by diffusers state-dict name, in the order the forward uses them
     * (unmodifiable map; the arrays are the model's own — update them in place to train).
     */
    public Map<String, NDArray> parameters() {
        return Collections.unmodifiableMap(parameters);
    }

    /**
     * Overwrites every parameter in place with a copy of the given values (e.g. restoring a
     * checkpoint, or swapping in EMA weights). Names as {@link #fromParameters}; all-or-nothing: the
     * whole map is checked before anything is written.
     *
     * @throws IllegalArgumentException listing every missing, unexpected or misshapen tensor
     */
    public void loadParameters(Map<String, NDArray> values) {
        Map<String, String> byName = StateDict.canonicalNames(values.keySet(), "the weights");
        Map<String, Shape> shapes = new LinkedHashMap<>();
        Map<String, DataType> types = new LinkedHashMap<>();
        byName.forEach((canonical, key) -> {
            shapes.put(canonical, values.get(key).getShape());
            types.put(canonical, values.get(key).getDataType());
        });
        Map<String, Shape> expected = new LinkedHashMap<>();
        parameters.forEach((name, a) -> expected.put(name, a.getShape()));
        StateDict.check(expected, shapes, types, "the weights");
        parameters.forEach((name, p) -> {
            NDArray v = values.get(byName.get(name));
            if (v.getDataType() == DataType.FLOAT32) {
                p.set(v.toByteBuffer());
            } else {
                try (NDArray f = v.toType(DataType.FLOAT32, true)) {
                    p.set(f.toByteBuffer());
                }
            }
        });
    }

    /** The number of scalar parameters. */
    public long numParameters() {
        return parameters.values().stream().mapToLong(a -> a.getShape().size()).sum();
    }

    /** Dropout is applied only in training mode (default: off, i.e. evaluation mode). */
    public void setTraining(boolean training) {
        this.training = training;
    }

    /** Whether dropout is active. */
    public boolean isTraining() {
        return training;
    }

    /** Frees the parameters. */
    @Override
    public void close() {
        if (manager != null) {
            manager.close();
        }
    }
}
