package org.diffusion4j.eval.classifier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.diffusion4j.io.SafeTensors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FashionClassifierTest {

    @TempDir
    Path tmp;

    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
        Engine.getInstance().setRandomSeed(0);
    }

    @AfterEach
    void close() {
        manager.close();
    }

    private NDArray images(int n) {
        return manager.randomUniform(-1f, 1f, new Shape(n, 1, 28, 28));
    }

    @Test
    void architectureHasTheDocumentedTensors() {
        FashionClassifier model = new FashionClassifier(new FashionClassifier.Config(32, 64, 256, 10, 0.5f));
        model.initialize(manager);
        Map<String, NDArray> sd = model.stateDict();
        assertEquals(List.of(
                "conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var",
                "conv2.weight", "bn2.weight", "bn2.bias", "bn2.running_mean", "bn2.running_var",
                "conv3.weight", "bn3.weight", "bn3.bias", "bn3.running_mean", "bn3.running_var",
                "conv4.weight", "bn4.weight", "bn4.bias", "bn4.running_mean", "bn4.running_var",
                "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"), List.copyOf(sd.keySet()));
        assertEquals(new Shape(32, 1, 3, 3), sd.get("conv1.weight").getShape());
        assertEquals(new Shape(64, 32, 3, 3), sd.get("conv3.weight").getShape());
        assertEquals(new Shape(256, 64 * 7 * 7), sd.get("fc1.weight").getShape()); // PyTorch (out, in)
        assertEquals(new Shape(10, 256), sd.get("fc2.weight").getShape());
        long trainable = 0;
        for (Map.Entry<String, NDArray> e : sd.entrySet()) {
            if (!e.getKey().contains("running")) {
                trainable += e.getValue().size();
            }
        }
        // 288 + 9216 + 18432 + 36864 conv, 2·(32+32+64+64) bn, 3136·256+256 + 256·10+10 fc
        assertEquals(288 + 9216 + 18432 + 36864 + 2 * (32 + 32 + 64 + 64) + 3136 * 256 + 256 + 2570, trainable);
    }

    @Test
    void extractorOutputsHaveTheRightShapesAndRanges() {
        FashionClassifier model = new FashionClassifier();
        model.initialize(manager);
        NDArray x = images(5);
        NDArray f = model.features(x);
        assertEquals(new Shape(5, 256), f.getShape());
        assertEquals(256, model.featureDim());
        assertEquals(manager, f.getManager());
        assertTrue(f.min().getFloat() >= 0f, "post-ReLU features are non-negative");
        NDArray p = model.classProbabilities(x);
        assertEquals(new Shape(5, 10), p.getShape());
        float[] rowSums = p.sum(new int[] {1}).toFloatArray();
        for (float s : rowSums) {
            assertEquals(1f, s, 1e-5f);
        }
        assertTrue(model.hasClassifier());
        // inference is deterministic (no dropout, batch-norm running statistics)
        assertArrayEquals(f.toFloatArray(), model.features(x).toFloatArray(), 0f);
        // the intermediates of the call are not left in the caller's manager
        int before = manager.getManagedArrays().size();
        model.features(x);
        assertEquals(before + 1, manager.getManagedArrays().size());
    }

    @Test
    void saveAndLoadReproduceTheOutputs() throws IOException {
        FashionClassifier.Config small = new FashionClassifier.Config(4, 8, 16, 10, 0.25f);
        FashionClassifier model = new FashionClassifier(small);
        model.initialize(manager);
        // make the running statistics non-trivial so the test would catch them being dropped
        model.stateDict().get("bn2.running_mean").set(new float[] {0.1f, -0.2f, 0.3f, 0f});
        NDArray x = images(3);
        float[] expected = model.classProbabilities(x).toFloatArray();
        Path dir = tmp.resolve("clf");
        model.save(dir, Map.of("note", "test"));
        assertTrue(Files.exists(dir.resolve("config.json")));
        FashionClassifier loaded = FashionClassifier.load(dir, manager);
        assertEquals(small, loaded.config());
        assertArrayEquals(expected, loaded.classProbabilities(x).toFloatArray(), 0f);
        assertEquals("test", SafeTensors.read(dir.resolve("model.safetensors")).metadata().get("note"));
    }

    @Test
    void loadRefusesMismatchedWeights() throws IOException {
        FashionClassifier model = new FashionClassifier(new FashionClassifier.Config(4, 8, 16, 10, 0f));
        model.initialize(manager);
        Path dir = tmp.resolve("clf");
        model.save(dir, Map.of());
        // a config that claims wider layers than the weights hold
        Files.writeString(dir.resolve("config.json"),
                "{\"channels1\":4,\"channels2\":8,\"hidden\":32,\"numClasses\":10,\"dropout\":0.0}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FashionClassifier.load(dir, manager));
        assertTrue(e.getMessage().contains("fc1.weight") && e.getMessage().contains("model.safetensors"),
                e.getMessage());
        Files.writeString(dir.resolve("config.json"), "{\"channels1\":4}");
        IOException io = assertThrows(IOException.class, () -> FashionClassifier.load(dir, manager));
        assertTrue(io.getMessage().contains("channels2"), io.getMessage());
    }

    @Test
    void refusesWrongInput() {
        FashionClassifier model = new FashionClassifier(new FashionClassifier.Config(4, 8, 16, 10, 0f));
        model.initialize(manager);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> model.features(manager.zeros(new Shape(2, 3, 28, 28))));
        assertTrue(e.getMessage().contains("(N, 1, 28, 28)"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> model.features(manager.zeros(new Shape(2, 1, 28, 28), DataType.FLOAT64)));
        assertThrows(IllegalArgumentException.class, () -> new FashionClassifier.Config(4, 8, 16, 10, 1f));
    }
}
