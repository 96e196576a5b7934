package org.diffusion4j.nn;

import org.diffusion4j.diffusers.UNet2DConfigJson;

import org.diffusion4j.diffusers.UNet2DFolder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.diffusion4j.io.SafeTensors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UNet2DModelTest {
    private static final Path UNET = UNet2DModelParityTest.UNET;
    private static NDManager manager;
    private static int threads;

    @BeforeAll
    static void open() {
        manager = NDManager.newBaseManager();
        threads = IntraOpThreads.useOne();
    }

    @AfterAll
    static void close() {
        IntraOpThreads.restore(threads);
        manager.close();
    }

    /** A very small model for the tests that do not need a realistic size: 8×8, [8, 16], attention at 4×4. */
    static UNet2DConfig micro() {
        return UNet2DConfig.builder().setSampleSize(8).setInChannels(1).setOutChannels(1).setBlockOutChannels(8, 16)
                .setDownBlockTypes(UNet2DConfig.DownBlockType.DOWN_BLOCK_2D, UNet2DConfig.DownBlockType.ATTN_DOWN_BLOCK_2D)
                .setUpBlockTypes(UNet2DConfig.UpBlockType.ATTN_UP_BLOCK_2D, UNet2DConfig.UpBlockType.UP_BLOCK_2D)
                .optLayersPerBlock(1).optNormNumGroups(4).optAttentionHeadDim(null).build();
    }

    private static NDArray fixtureIo(String name, NDManager m) throws IOException {
        return SafeTensors.read(UNET.resolveSibling("reference/unet_io.safetensors")).toNDArray(name, m);
    }

    /** The non-fixture shape of the brief: 1 channel, 28×28, [32, 64, 64], attention at 7×7, one head. */
    @Test
    void tinyModelForwardShapeAndGradientReachesEveryParameter() {
        UNet2DConfig c = UNet2DConfig.tiny();
        try (UNet2DModel model = UNet2DModel.create(c, manager, 0); NDManager step = manager.newSubManager()) {
            assertTrue(model.parameters().get("down_blocks.2.attentions.0.to_q.weight") != null);
            assertEquals(new Shape(64, 64), model.parameters().get("down_blocks.2.attentions.0.to_q.weight").getShape());
            NDArray x = step.randomNormal(new Shape(2, 1, 28, 28));
            NDArray t = step.create(new long[] {3, 917});
            model.setTraining(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray out = model.forward(x, t);
                assertEquals(new Shape(2, 1, 28, 28), out.getShape());
                gc.backward(out.square().mean());
            }
            List<String> noGradient = new ArrayList<>();
            for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
                NDArray g = e.getValue().getGradient();
                if (g.abs().max().getFloat() == 0f) {
                    noGradient.add(e.getKey());
                }
                g.close();
            }
            assertTrue(noGradient.isEmpty(), "no gradient reached " + noGradient);
        }
    }

    @Test
    void parameterNamesAndShapesAreDiffusers() throws IOException {
        UNet2DConfig c = UNet2DConfigJson.read(UNET.resolve("config.json"));
        Map<String, Shape> shapes = UNet2DModel.parameterShapes(c);
        SafeTensors weights = SafeTensors.read(UNET.resolve("diffusion_pytorch_model.safetensors"));
        assertEquals(weights.names(), new java.util.TreeSet<>(shapes.keySet()), "exactly diffusers' state-dict keys");
        shapes.forEach((name, shape) -> assertArrayEquals(weights.info(name).shape(), shape.getShape(), name));
        assertEquals(List.of("conv_in.weight", "conv_in.bias", "time_embedding.linear_1.weight"),
                new ArrayList<>(shapes.keySet()).subList(0, 3), "forward order");
    }

    /** diffusers: heads = channels // attention_head_dim, inner width heads · head_dim (may be < channels). */
    @Test
    void headDimNotDividingTheChannelsNarrowsTheAttention() {
        UNet2DConfig c = micro().toBuilder().optAttentionHeadDim(5).build();
        Map<String, Shape> shapes = UNet2DModel.parameterShapes(c);
        assertEquals(new Shape(15, 16), shapes.get("mid_block.attentions.0.to_q.weight"), "3 heads of 5");
        assertEquals(new Shape(16, 15), shapes.get("mid_block.attentions.0.to_out.0.weight"));
        try (UNet2DModel model = UNet2DModel.create(c, manager, 3); NDManager step = manager.newSubManager()) {
            assertEquals(new Shape(2, 1, 8, 8), model.predict(step.randomNormal(new Shape(2, 1, 8, 8)), 10).getShape());
        }
    }

    @Test
    void seededInitIsReproducibleAndPyTorchLike() {
        UNet2DConfig c = UNet2DConfig.tiny().toBuilder().optNumClassEmbeds(10).build();
        try (UNet2DModel a = UNet2DModel.create(c, manager, 42); UNet2DModel b = UNet2DModel.create(c, manager, 42);
                UNet2DModel other = UNet2DModel.create(c, manager, 43)) {
            assertEquals(UNet2DModel.parameterShapes(c).values().stream().mapToLong(Shape::size).sum(), a.numParameters());
            for (String name : a.parameters().keySet()) {
                assertArrayEquals(a.parameters().get(name).toFloatArray(), b.parameters().get(name).toFloatArray(), name);
            }
            assertFalse(java.util.Arrays.equals(a.parameters().get("conv_in.weight").toFloatArray(),
                    other.parameters().get("conv_in.weight").toFloatArray()));
            // conv weight [64, 32, 3, 3]: U(-b, b), b = 1/sqrt(32*9): max |w| just below b, variance b^2/3
            float[] w = a.parameters().get("down_blocks.1.resnets.0.conv1.weight").toFloatArray();
            double bound = 1 / Math.sqrt(32 * 9);
            double max = 0;
            double sq = 0;
            for (float v : w) {
                max = Math.max(max, Math.abs(v));
                sq += v * v;
            }
            assertTrue(max <= bound && max > 0.99 * bound, "max " + max + " vs bound " + bound);
            assertEquals(bound * bound / 3, sq / w.length, 0.05 * bound * bound / 3);
            assertArrayEquals(ones(32), a.parameters().get("conv_norm_out.weight").toFloatArray());
            assertArrayEquals(new float[32], a.parameters().get("conv_norm_out.bias").toFloatArray());
            float[] emb = a.parameters().get("class_embedding.weight").toFloatArray(); // N(0, 1)
            double var = 0;
            for (float v : emb) {
                var += v * v;
            }
            assertEquals(1.0, var / emb.length, 0.16); // 4 standard errors for 1280 draws
        }
    }

    private static float[] ones(int n) {
        float[] f = new float[n];
        java.util.Arrays.fill(f, 1f);
        return f;
    }

    @Test
    void saveThenLoadIsBitIdentical(@TempDir Path dir) throws IOException {
        UNet2DConfig c = micro().toBuilder().optNumClassEmbeds(3).build();
        try (UNet2DModel model = UNet2DModel.create(c, manager, 7)) {
            UNet2DFolder.save(model, dir.resolve("unet"));
            SafeTensors st = SafeTensors.read(dir.resolve("unet/diffusion_pytorch_model.safetensors"));
            assertEquals(Map.of("format", "pt"), st.metadata());
            assertTrue(st.names().stream().allMatch(n -> st.info(n).dtype() == org.diffusion4j.io.DType.F32));
            String json = Files.readString(dir.resolve("unet/config.json"));
            assertTrue(json.contains("\"_class_name\": \"UNet2DModel\""), json);
            try (UNet2DModel back = UNet2DFolder.load(dir.resolve("unet"), manager); NDManager step = manager.newSubManager()) {
                assertEquals(c, back.config());
                assertEquals(new ArrayList<>(model.parameters().keySet()), new ArrayList<>(back.parameters().keySet()));
                for (String name : model.parameters().keySet()) {
                    assertArrayEquals(model.parameters().get(name).toFloatArray(), back.parameters().get(name).toFloatArray(), name);
                }
                NDArray x = step.randomNormal(new Shape(1, 1, 8, 8));
                NDArray t = step.create(500L);
                NDArray y = step.create(2L);
                assertArrayEquals(model.forward(x, t, y).toFloatArray(), back.forward(x, t, y).toFloatArray());
            }
        }
    }

    @Test
    void legacyAttentionNamesLoad(@TempDir Path dir) throws IOException {
        Path legacy = dir.resolve("unet");
        Files.createDirectories(legacy);
        Files.copy(UNET.resolve("config.json"), legacy.resolve("config.json"));
        SafeTensors st = SafeTensors.read(UNET.resolve("diffusion_pytorch_model.safetensors"));
        Map<String, NDArray> renamed = new LinkedHashMap<>();
        int mapped = 0;
        try (NDManager m = manager.newSubManager()) {
            for (String n : st.names()) {
                String old = n.replace(".to_q.", ".query.").replace(".to_k.", ".key.").replace(".to_v.", ".value.")
                        .replace(".to_out.0.", ".proj_attn.");
                mapped += old.equals(n) ? 0 : 1;
                renamed.put(old, st.toNDArray(n, m));
            }
            SafeTensors.write(legacy.resolve("diffusion_pytorch_model.safetensors"), renamed, Map.of("format", "pt"));
            assertEquals(6 * 4 * 2, mapped, "6 attention blocks × 4 linear layers × (weight, bias)");
            try (UNet2DModel model = UNet2DFolder.load(legacy, manager)) {
                NDArray out = model.forward(fixtureIo("sample", m), fixtureIo("timestep", m));
                double err = UNet2DModelParityTest.maxAbsDiff(fixtureIo("out", m).toFloatArray(), out.toFloatArray());
                assertTrue(err <= 1e-4, "legacy-named weights give the diffusers output, err " + err);
            }
        }
    }

    @Test
    void mismatchedWeightsAreListed(@TempDir Path dir) throws IOException {
        Path bad = dir.resolve("unet");
        Files.createDirectories(bad);
        Files.copy(UNET.resolve("config.json"), bad.resolve("config.json"));
        SafeTensors st = SafeTensors.read(UNET.resolve("diffusion_pytorch_model.safetensors"));
        try (NDManager m = manager.newSubManager()) {
            Map<String, NDArray> w = new LinkedHashMap<>(st.toNDArrays(m));
            w.remove("conv_in.bias");
            w.remove("mid_block.attentions.0.to_q.weight");
            w.put("extra.weight", m.zeros(new Shape(2)));
            w.put("conv_out.weight", m.zeros(new Shape(3, 16, 1, 1)));
            SafeTensors.write(bad.resolve("diffusion_pytorch_model.safetensors"), w, Map.of());
            ModelFileException e = assertThrows(ModelFileException.class, () -> UNet2DFolder.load(bad, manager));
            String msg = e.getMessage();
            assertTrue(msg.contains("2 missing tensors: conv_in.bias, mid_block.attentions.0.to_q.weight"), msg);
            assertTrue(msg.contains("1 unexpected tensors: extra.weight"), msg);
            assertTrue(msg.contains("conv_out.weight is (3, 16, 1, 1), the config needs (3, 16, 3, 3)"), msg);
            assertTrue(msg.startsWith(bad.resolve("diffusion_pytorch_model.safetensors").toString()), msg);
        }
    }

    @Test
    void pickleOnlyFolderIsRefusedWithTheConversionCommand(@TempDir Path dir) throws IOException {
        Files.copy(UNET.resolve("config.json"), dir.resolve("config.json"));
        Files.write(dir.resolve("diffusion_pytorch_model.bin"), new byte[] {(byte) 0x80, 2});
        ModelFileException e = assertThrows(ModelFileException.class, () -> UNet2DFolder.load(dir, manager));
        assertTrue(e.getMessage().contains("[diffusion_pytorch_model.bin]"), e.getMessage());
        assertTrue(e.getMessage().contains("use_safetensors=False).save_pretrained("), e.getMessage());
        assertTrue(e.getMessage().contains("safe_serialization=True"), e.getMessage());
        Files.delete(dir.resolve("config.json"));
        e = assertThrows(ModelFileException.class, () -> UNet2DFolder.load(dir, manager));
        assertTrue(e.getMessage().contains("config.json: file not found"), e.getMessage());
    }

    @Test
    void classConditioningAddsTheLabelEmbeddingToTheTimeEmbedding() {
        UNet2DConfig c = micro().toBuilder().optNumClassEmbeds(10).build();
        try (UNet2DModel model = UNet2DModel.create(c, manager, 1); NDManager step = manager.newSubManager()) {
            NDArray x = step.randomNormal(new Shape(2, 1, 8, 8));
            NDArray t = step.create(new long[] {10, 10});
            Map<String, float[]> rec = new LinkedHashMap<>();
            NDArray out = model.forward(x, t, step.create(new long[] {4, 9}), (n, v) -> rec.put(n, v.toFloatArray()));
            float[] time = rec.get("time_embedding");
            float[] emb = rec.get("emb");
            float[] table = model.parameters().get("class_embedding.weight").toFloatArray();
            int d = c.timeEmbedDim();
            for (int i = 0; i < d; i++) {
                assertEquals(time[i] + table[4 * d + i], emb[i], 1e-6);
                assertEquals(time[d + i] + table[9 * d + i], emb[d + i], 1e-6);
            }
            NDArray other = model.forward(x, t, step.create(new int[] {4, 8}));
            float[] a = out.toFloatArray();
            float[] b = other.toFloatArray();
            int half = a.length / 2;
            assertArrayEquals(java.util.Arrays.copyOf(a, half), java.util.Arrays.copyOf(b, half), 1e-6f, "same label 4");
            assertFalse(java.util.Arrays.equals(java.util.Arrays.copyOfRange(a, half, a.length),
                    java.util.Arrays.copyOfRange(b, half, b.length)), "label 9 vs 8 differ");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> model.forward(x, t));
            assertTrue(e.getMessage().contains("pass class labels"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> model.forward(x, t, step.create(new long[] {10, 0})));
            assertTrue(e.getMessage().contains("outside [0, 10)"), e.getMessage());
        }
    }

    @Test
    void dropoutOnlyInTrainingMode() {
        UNet2DConfig c = micro().toBuilder().optDropout(0.5).build();
        try (UNet2DModel model = UNet2DModel.create(c, manager, 1); NDManager step = manager.newSubManager()) {
            NDArray x = step.randomNormal(new Shape(1, 1, 8, 8));
            NDArray t = step.create(100L);
            float[] eval1 = model.forward(x, t).toFloatArray();
            assertArrayEquals(eval1, model.forward(x, t).toFloatArray(), "deterministic in eval mode");
            model.setTraining(true);
            assertNotEquals(0.0, UNet2DModelParityTest.maxAbsDiff(eval1, model.forward(x, t).toFloatArray()));
            model.setTraining(false);
            assertArrayEquals(eval1, model.forward(x, t).toFloatArray());
        }
    }

    @Test
    void badInputsAreRefused() {
        try (UNet2DModel model = UNet2DModel.create(micro(), manager, 1); NDManager step = manager.newSubManager()) {
            NDArray t = step.create(1L);
            assertThrows(IllegalArgumentException.class, () -> model.forward(step.zeros(new Shape(1, 3, 8, 8)), t));
            assertThrows(IllegalArgumentException.class, () -> model.forward(step.zeros(new Shape(1, 1, 9, 8)), t));
            assertThrows(IllegalArgumentException.class, () -> model.forward(step.zeros(new Shape(1, 1, 8, 8), DataType.FLOAT64), t));
            assertThrows(IllegalArgumentException.class, () -> model.forward(step.zeros(new Shape(2, 1, 8, 8)), step.create(new long[] {1, 2, 3})));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> model.forward(step.zeros(new Shape(1, 1, 8, 8)), t, step.create(1L)));
            assertTrue(e.getMessage().contains("unconditional"), e.getMessage());
            // scalar, [1] and [N] timesteps broadcast alike
            NDArray x = step.randomNormal(new Shape(2, 1, 8, 8));
            float[] a = model.forward(x, step.create(5L)).toFloatArray();
            assertArrayEquals(a, model.forward(x, step.create(new long[] {5})).toFloatArray());
            assertArrayEquals(a, model.forward(x, step.create(new float[] {5f, 5f})).toFloatArray());
        }
    }

    @Test
    void predictIsInferenceOnAnyThread() throws Exception {
        UNet2DConfig c = micro().toBuilder().optDropout(0.3).build();
        try (UNet2DModel model = UNet2DModel.create(c, manager, 5); NDManager step = manager.newSubManager()) {
            NDArray x = step.randomNormal(new Shape(1, 1, 8, 8));
            NDArray t = step.create(77L);
            float[] eval = model.forward(x, t).toFloatArray();
            model.setTraining(true);
            assertArrayEquals(eval, model.predict(x, t).toFloatArray(), "no dropout in predict");
            assertArrayEquals(eval, model.predict(x, 77.0).toFloatArray(), "a number timestep is the same");
            boolean[] recorded = new boolean[2];
            boolean[] gradModeAfter = new boolean[1];
            Thread worker = new Thread(() -> {
                // libtorch turns gradient mode on by default on threads other than the engine's
                try (NDManager w = step.newSubManager()) {
                    recorded[0] = hasHistory(model.forward(x, t).sum(), w);
                    recorded[1] = hasHistory(model.predict(x, t).sum(), w);
                    gradModeAfter[0] = ai.djl.pytorch.jni.JniUtils.isGradMode();
                }
            });
            worker.start();
            worker.join();
            assertTrue(recorded[0], "forward records autograd history when the thread's grad mode is on");
            assertFalse(recorded[1], "predict records none");
            assertTrue(gradModeAfter[0], "predict restores the thread's gradient mode");
        }
    }

    /** Whether backward can run from this scalar, i.e. the forward recorded autograd history. */
    private static boolean hasHistory(NDArray scalar, NDManager m) {
        try {
            ai.djl.pytorch.jni.JniUtils.backward((ai.djl.pytorch.engine.PtNDArray) scalar,
                    (ai.djl.pytorch.engine.PtNDArray) m.ones(new Shape()), false, false);
            return true;
        } catch (ai.djl.engine.EngineException e) {
            return false;
        }
    }

    @Test
    void loadParametersCopiesInPlaceAndChecksFirst() {
        UNet2DConfig c = micro();
        try (UNet2DModel a = UNet2DModel.create(c, manager, 1); UNet2DModel b = UNet2DModel.create(c, manager, 2);
                NDManager step = manager.newSubManager()) {
            NDArray x = step.randomNormal(new Shape(1, 1, 8, 8));
            NDArray t = step.create(300L);
            NDArray before = b.parameters().get("conv_in.weight");
            float[] original = before.toFloatArray();
            Map<String, NDArray> partial = new LinkedHashMap<>(a.parameters());
            partial.remove("conv_out.bias");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.loadParameters(partial));
            assertTrue(e.getMessage().contains("1 missing tensors: conv_out.bias"), e.getMessage());
            assertArrayEquals(original, before.toFloatArray(), "nothing written on refusal");
            b.loadParameters(a.parameters());
            assertTrue(before == b.parameters().get("conv_in.weight"), "same arrays, updated in place");
            assertArrayEquals(a.predict(x, t).toFloatArray(), b.predict(x, t).toFloatArray());
            try (UNet2DModel copy = UNet2DModel.fromParameters(c, a.parameters(), manager)) {
                assertArrayEquals(a.predict(x, t).toFloatArray(), copy.predict(x, t).toFloatArray());
            }
        }
    }

    @Test
    void forwardLeavesNothingInTheModelManager() throws IOException {
        try (NDManager parent = manager.newSubManager(); UNet2DModel model = UNet2DFolder.load(UNET, parent)) {
            int before = parent.getManagedArrays().size();
            for (int i = 0; i < 3; i++) {
                try (NDManager step = parent.newSubManager()) {
                    model.forward(fixtureIo("sample", step), fixtureIo("timestep", step));
                }
            }
            assertEquals(before, parent.getManagedArrays().size());
            assertEquals(model.parameters().size(), before);
        }
    }
}
