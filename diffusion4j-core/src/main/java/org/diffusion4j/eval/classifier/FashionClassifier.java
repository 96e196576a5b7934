package org.diffusion4j.eval.classifier;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.diffusion4j.eval.FeatureExtractor;
import org.diffusion4j.io.AtomicFiles;
import org.diffusion4j.io.SafeTensors;
import org.diffusion4j.nn.Convolution;

/**
 * A small CNN classifier for 28×28 grey images (Fashion-MNIST), used as the feature network of
 * the evaluation metrics, the way Inception-v3 is for ImageNet-like data (Heusel et al. 2017).
 *
 * <pre>
 *   x (N,1,28,28) in [-1,1]
 *   conv1 3×3 c1 → bn1 → ReLU → conv2 3×3 c1 → bn2 → ReLU → max-pool 2     (N,c1,14,14)
 *   conv3 3×3 c2 → bn3 → ReLU → conv4 3×3 c2 → bn4 → ReLU → max-pool 2     (N,c2,7,7)
 *   flatten → fc1 (hidden) → ReLU                       = features (N,hidden), the penultimate layer
 *   dropout → fc2 (10)                                  = logits
 * </pre>
 *
 * The shipped {@link Config#DEFAULT} (c1=16, c2=32, hidden=256, dropout 0.3; ≈0.42 M parameters,
 * ≈10 MFLOP per image) was chosen over the wider c1=32, c2=64 (≈0.87 M, ≈38 MFLOP), which trains
 * four times slower on a shared 2-core CPU and was not more accurate for the same wall time. Convs feeding a batch norm have no bias. Parameter names in {@link #stateDict()} follow PyTorch
 * ({@code conv1.weight}, {@code bn1.running_mean}, …) so the weights load into the equivalent
 * {@code torch.nn.Module}.
 */
public final class FashionClassifier extends AbstractBlock implements FeatureExtractor {

    /** Image side the network expects. */
    public static final int IMAGE_SIZE = 28;

    /** Widths and dropout; {@link #DEFAULT} is the architecture of the shipped model. */
    public record Config(int channels1, int channels2, int hidden, int numClasses, float dropout) {
        public static final Config DEFAULT = new Config(16, 32, 256, 10, 0.3f);

        public Config {
            if (channels1 <= 0 || channels2 <= 0 || hidden <= 0 || numClasses < 2) {
                throw new IllegalArgumentException("FashionClassifier.Config: widths must be positive and"
                        + " numClasses >= 2, got channels1=" + channels1 + ", channels2=" + channels2
                        + ", hidden=" + hidden + ", numClasses=" + numClasses);
            }
            if (!(dropout >= 0f && dropout < 1f)) {
                throw new IllegalArgumentException("FashionClassifier.Config: dropout must be in [0,1), got "
                        + dropout);
            }
        }
    }

    private final Config config;
    private final Conv2d conv1, conv2, conv3, conv4;
    private final BatchNorm bn1, bn2, bn3, bn4;
    private final Linear fc1, fc2;

    public FashionClassifier(Config config) {
        super((byte) 1);
        this.config = config;
        conv1 = addChildBlock("conv1", conv(config.channels1()));
        bn1 = addChildBlock("bn1", BatchNorm.builder().build());
        conv2 = addChildBlock("conv2", conv(config.channels1()));
        bn2 = addChildBlock("bn2", BatchNorm.builder().build());
        conv3 = addChildBlock("conv3", conv(config.channels2()));
        bn3 = addChildBlock("bn3", BatchNorm.builder().build());
        conv4 = addChildBlock("conv4", conv(config.channels2()));
        bn4 = addChildBlock("bn4", BatchNorm.builder().build());
        fc1 = addChildBlock("fc1", Linear.builder().setUnits(config.hidden()).build());
        fc2 = addChildBlock("fc2", Linear.builder().setUnits(config.numClasses()).build());
    }

    public FashionClassifier() {
        this(Config.DEFAULT);
    }

    private static Conv2d conv(int filters) {
        return new KernelSafeConv2d(filters);
    }

    /** DJL's Conv2d block (3×3, padding 1, no bias), computed by the kernel-safe {@link Convolution}. */
    private static final class KernelSafeConv2d extends Conv2d {
        KernelSafeConv2d(int filters) {
            super(Conv2d.builder().setKernelShape(new Shape(3, 3)).optPadding(new Shape(1, 1)).setFilters(filters)
                    .optBias(false));
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
                PairList<String, Object> params) {
            NDArray x = inputs.singletonOrThrow();
            return new NDList(Convolution.conv2d(x, ps.getValue(weight, x.getDevice(), training), null, 1, 1));
        }
    }

    public Config config() {
        return config;
    }

    /** Input shape for {@code initialize}: (batch, 1, 28, 28). */
    public static Shape inputShape(int batch) {
        return new Shape(batch, 1, IMAGE_SIZE, IMAGE_SIZE);
    }

    /** Allocates and initialises all parameters in {@code manager} (Xavier weights, zero biases). */
    public void initialize(NDManager manager) {
        initialize(manager, DataType.FLOAT32, inputShape(1));
    }

    // ---------------------------------------------------------------- forward

    /** Penultimate activations: flatten → fc1 → ReLU, shape (N, hidden). */
    public NDArray features(ParameterStore ps, NDArray x, boolean training) {
        checkInput(x);
        NDArray h = convBnRelu(ps, conv1, bn1, x, training);
        h = convBnRelu(ps, conv2, bn2, h, training);
        h = Pool.maxPool2d(h, new Shape(2, 2), new Shape(2, 2), new Shape(0, 0), false);
        h = convBnRelu(ps, conv3, bn3, h, training);
        h = convBnRelu(ps, conv4, bn4, h, training);
        h = Pool.maxPool2d(h, new Shape(2, 2), new Shape(2, 2), new Shape(0, 0), false);
        h = h.reshape(h.getShape().get(0), -1);
        return Activation.relu(fc1.forward(ps, new NDList(h), training).singletonOrThrow());
    }

    /** Logits from penultimate features: dropout (training only) → fc2. */
    public NDArray logits(ParameterStore ps, NDArray features, boolean training) {
        NDArray h = training && config.dropout() > 0
                ? Dropout.dropout(features, config.dropout(), true).singletonOrThrow()
                : features;
        return fc2.forward(ps, new NDList(h), training).singletonOrThrow();
    }

    private static NDArray convBnRelu(ParameterStore ps, Conv2d conv, BatchNorm bn, NDArray x,
                                      boolean training) {
        NDArray h = conv.forward(ps, new NDList(x), training).singletonOrThrow();
        h = bn.forward(ps, new NDList(h), training).singletonOrThrow();
        return Activation.relu(h);
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
                                     PairList<String, Object> params) {
        return new NDList(logits(ps, features(ps, inputs.singletonOrThrow(), training), training));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), config.numClasses())};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        long n = inputShapes[0].get(0);
        int c1 = config.channels1(), c2 = config.channels2(), s = IMAGE_SIZE;
        conv1.initialize(manager, dataType, new Shape(n, 1, s, s));
        bn1.initialize(manager, dataType, new Shape(n, c1, s, s));
        conv2.initialize(manager, dataType, new Shape(n, c1, s, s));
        bn2.initialize(manager, dataType, new Shape(n, c1, s, s));
        conv3.initialize(manager, dataType, new Shape(n, c1, s / 2, s / 2));
        bn3.initialize(manager, dataType, new Shape(n, c2, s / 2, s / 2));
        conv4.initialize(manager, dataType, new Shape(n, c2, s / 2, s / 2));
        bn4.initialize(manager, dataType, new Shape(n, c2, s / 2, s / 2));
        fc1.initialize(manager, dataType, new Shape(n, (long) c2 * (s / 4) * (s / 4)));
        fc2.initialize(manager, dataType, new Shape(n, config.hidden()));
    }

    private static void checkInput(NDArray x) {
        Shape s = x.getShape();
        if (s.dimension() != 4 || s.get(1) != 1 || s.get(2) != IMAGE_SIZE || s.get(3) != IMAGE_SIZE) {
            throw new IllegalArgumentException("FashionClassifier expects images of shape (N, 1, 28, 28)"
                    + " in [-1, 1], got " + s + "; resize/convert to grey 28×28 first");
        }
        if (x.getDataType() != DataType.FLOAT32) {
            throw new IllegalArgumentException("FashionClassifier expects float32 images, got "
                    + x.getDataType() + "; call toType(DataType.FLOAT32, false) first");
        }
    }

    // ---------------------------------------------------------------- FeatureExtractor

    @Override
    public String name() {
        return "fashion-classifier";
    }

    @Override
    public int featureDim() {
        return config.hidden();
    }

    @Override
    public NDArray features(NDArray images) {
        NDManager owner = images.getManager();
        try (NDManager sub = owner.newSubManager()) {
            images.tempAttach(sub);
            NDArray f = features(new ParameterStore(sub, false), images, false);
            f.attach(owner);
            return f;
        }
    }

    @Override
    public boolean hasClassifier() {
        return true;
    }

    @Override
    public NDArray classProbabilities(NDArray images) {
        NDManager owner = images.getManager();
        try (NDManager sub = owner.newSubManager()) {
            images.tempAttach(sub);
            ParameterStore ps = new ParameterStore(sub, false);
            NDArray p = logits(ps, features(ps, images, false), false).softmax(1);
            p.attach(owner);
            return p;
        }
    }

    // ---------------------------------------------------------------- files

    /** Weights file name inside a model folder. */
    public static final String WEIGHTS_FILE = "model.safetensors";
    /** Architecture file name inside a model folder. */
    public static final String CONFIG_FILE = "config.json";

    /**
     * Writes {@code dir/model.safetensors} (float32, PyTorch names) and {@code dir/config.json}
     * (the {@link Config}), each atomically.
     *
     * @param metadata extra string pairs for the safetensors header (e.g. test accuracy)
     */
    public void save(Path dir, Map<String, String> metadata) throws IOException {
        Files.createDirectories(dir);
        Map<String, String> meta = new LinkedHashMap<>(metadata);
        meta.put("format", "pt");
        meta.put("model", name());
        SafeTensors.write(dir.resolve(WEIGHTS_FILE), stateDict(), meta);
        JsonObject json = new Gson().toJsonTree(config).getAsJsonObject();
        json.addProperty("_class_name", "FashionClassifier");
        AtomicFiles.writeString(dir.resolve(CONFIG_FILE),
                new GsonBuilder().setPrettyPrinting().create().toJson(json) + "\n");
    }

    /**
     * Loads a model folder written by {@link #save}: reads {@code config.json}, builds the network
     * in {@code manager} and fills it from {@code model.safetensors}.
     */
    public static FashionClassifier load(Path dir, NDManager manager) throws IOException {
        Path configFile = dir.resolve(CONFIG_FILE);
        Config config;
        try {
            JsonObject json = JsonParser.parseString(Files.readString(configFile)).getAsJsonObject();
            for (String field : new String[] {"channels1", "channels2", "hidden", "numClasses", "dropout"}) {
                if (!json.has(field)) {
                    throw new IOException(configFile + ": missing field \"" + field
                            + "\"; write the folder with FashionClassifier.save");
                }
            }
            config = new Gson().fromJson(json, Config.class);
        } catch (NoSuchFileException e) {
            throw new IOException(configFile + ": not found; a FashionClassifier folder holds "
                    + CONFIG_FILE + " and " + WEIGHTS_FILE, e);
        } catch (JsonParseException | IllegalStateException e) {
            throw new IOException(configFile + ": not a JSON object (" + e.getMessage() + ")", e);
        } catch (IllegalArgumentException e) {
            throw new IOException(configFile + ": " + e.getMessage(), e);
        }
        FashionClassifier model = new FashionClassifier(config);
        model.initialize(manager);
        SafeTensors st = SafeTensors.read(dir.resolve(WEIGHTS_FILE));
        try (NDManager tmp = manager.newSubManager()) {
            model.loadStateDict(st.toNDArrays(tmp), st.file().toString());
        }
        return model;
    }

    // ---------------------------------------------------------------- weights

    /**
     * The parameters and batch-norm running statistics by PyTorch name, in a fixed order. The arrays
     * are the live parameter arrays (not copies).
     */
    public Map<String, NDArray> stateDict() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        forEachParameter((name, p) -> out.put(name, p.getArray()));
        return out;
    }

    /**
     * Replaces every parameter with the array of the same PyTorch name from {@code weights}.
     *
     * @param source file name or description used in error messages
     * @throws IllegalArgumentException naming the tensor when one is missing, extra or mis-shaped
     */
    public void loadStateDict(Map<String, NDArray> weights, String source) {
        Map<String, Parameter> params = new LinkedHashMap<>();
        forEachParameter(params::put);
        for (String key : weights.keySet()) {
            if (!params.containsKey(key)) {
                throw new IllegalArgumentException(source + ": unexpected tensor '" + key
                        + "' for FashionClassifier " + config + "; expected " + params.keySet());
            }
        }
        for (Map.Entry<String, Parameter> e : params.entrySet()) {
            NDArray w = weights.get(e.getKey());
            if (w == null) {
                throw new IllegalArgumentException(source + ": missing tensor '" + e.getKey()
                        + "'; the file does not hold FashionClassifier weights for " + config);
            }
            Parameter p = e.getValue();
            Shape expected = p.isInitialized() ? p.getArray().getShape() : p.getShape();
            if (expected != null && !expected.equals(w.getShape())) {
                throw new IllegalArgumentException(source + ": tensor '" + e.getKey() + "' has shape "
                        + w.getShape() + ", expected " + expected + " for " + config
                        + "; check config.json matches the weights");
            }
            NDArray target = p.getArray();
            target.set(w.toType(DataType.FLOAT32, false).toFloatArray());
        }
    }

    private interface ParamVisitor {
        void visit(String name, Parameter p);
    }

    private void forEachParameter(ParamVisitor v) {
        Object[][] layers = {
            {"conv1", conv1}, {"bn1", bn1}, {"conv2", conv2}, {"bn2", bn2},
            {"conv3", conv3}, {"bn3", bn3}, {"conv4", conv4}, {"bn4", bn4},
            {"fc1", fc1}, {"fc2", fc2}};
        for (Object[] layer : layers) {
            String prefix = (String) layer[0];
            AbstractBlock block = (AbstractBlock) layer[1];
            for (Parameter p : block.getDirectParameters().values()) {
                v.visit(prefix + "." + torchName(p.getName()), p);
            }
        }
    }

    private static String torchName(String djlName) {
        return switch (djlName) {
            case "gamma" -> "weight";
            case "beta" -> "bias";
            case "runningMean" -> "running_mean";
            case "runningVar" -> "running_var";
            default -> djlName;
        };
    }
}
