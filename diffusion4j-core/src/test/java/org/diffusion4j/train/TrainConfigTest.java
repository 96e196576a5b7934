package org.diffusion4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.diffusion4j.diffusion.PredictionType;
import org.diffusion4j.nn.UNet2DConfig;
import org.diffusion4j.nn.UNet2DModel;
import org.diffusion4j.schedule.BetaSchedule;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainConfigTest {

    static long parameterCount(UNet2DConfig c) {
        return UNet2DModel.parameterShapes(c).values().stream().mapToLong(s -> s.size()).sum();
    }

    @Test
    void fashionMnistPresetIsThePeersArchitecture() {
        TrainConfig c = TrainConfig.preset("fashion-mnist");
        UNet2DConfig u = c.unetConfig();
        assertEquals(28, u.sampleSize());
        assertEquals(1, u.inChannels());
        assertEquals(8, u.normNumGroups());
        assertNull(u.attentionHeadDim());
        assertEquals(0.1, u.dropout());
        // ../shared/peers/torch_ddpm.py bench --ch 32 prints "params 1623169"
        assertEquals(1_623_169, parameterCount(u));
        // v-prediction won the equal-budget recipe comparison (docs/recipes.md)
        assertEquals(PredictionType.V_PREDICTION, c.predictionType());
        assertEquals(BetaSchedule.LINEAR, c.betaSchedule());
        assertEquals(1000, c.numTrainTimesteps());
    }

    @Test
    void theShapesTextPresetsAreGuidedVPredictionWithoutX0Clipping() {
        for (String name : List.of("shapes-t2i", "shapes-t2i-64", "shapes-ldm")) {
            TrainConfig p = TrainConfig.preset(name);
            assertTrue(p.isText(), name);
            assertEquals(PredictionType.V_PREDICTION, p.predictionType(), name + ": epsilon drew grey backgrounds at low SNR");
            assertEquals("models/shapes-clip", p.textEncoder(), name);
            assertFalse(JsonParser.parseString(p.schedulerConfigJson()).getAsJsonObject().get("clip_sample").getAsBoolean(), name);
        }
        TrainConfig c = TrainConfig.preset("shapes-t2i");
        assertTrue(JsonParser.parseString(c.toBuilder().optPUncond(0).build().schedulerConfigJson()).getAsJsonObject()
                .get("clip_sample").getAsBoolean(), "a text model without caption dropout is not guided");
    }

    @Test
    void fashionMnistCondPresetIsTheBundledModelsRecipe() {
        TrainConfig c = TrainConfig.preset("fashion-mnist-cond");
        assertEquals(11, c.unetConfig().numClassEmbeds());
        assertEquals(10, c.nullClassLabel());
        assertEquals(PredictionType.V_PREDICTION, c.predictionType());
        // guided models ship without x0 clipping (it saturates guided DDPM/DDIM samples); unguided keep diffusers' default
        assertFalse(JsonParser.parseString(c.schedulerConfigJson()).getAsJsonObject().get("clip_sample").getAsBoolean());
        assertTrue(JsonParser.parseString(c.toBuilder().optPUncond(0).build().schedulerConfigJson()).getAsJsonObject()
                .get("clip_sample").getAsBoolean());
        c.checkData("fashion-mnist", 1, 28, 28, 10);
        assertThrows(IllegalArgumentException.class, () -> c.checkData("fashion-mnist", 1, 28, 28, 9));
    }

    @Test
    void tinyPresetIsSmallAndFitsFashionMnist() {
        TrainConfig c = TrainConfig.preset("tiny");
        assertTrue(parameterCount(c.unetConfig()) < 200_000);
        c.checkData("fashion-mnist", 1, 28, 28, 10);
    }

    @Test
    void jsonRoundTrip() {
        TrainConfig c = TrainConfig.preset("fashion-mnist").toBuilder().optSeed(42).optLearningRate(3e-4)
                .optLossWeighting(TrainConfig.LossWeighting.MIN_SNR, 4).optPredictionType(PredictionType.V_PREDICTION).build();
        TrainConfig back = TrainConfig.parse(c.toJson(), "round trip");
        assertEquals(c, back);
        assertEquals(42, back.seed());
        assertEquals(TrainConfig.LossWeighting.MIN_SNR, back.lossWeighting());
        assertEquals(4.0, back.snrGamma());
        assertEquals(PredictionType.V_PREDICTION, back.predictionType());
    }

    @Test
    void missingKeysTakeDefaults() {
        TrainConfig c = TrainConfig.parse("{\"model\": " + TrainConfig.preset("tiny").modelJson() + "}", "x.json");
        assertEquals(128, c.batchSize());
        assertEquals(0.9, c.adamBeta1());
        assertEquals(0.999, c.adamBeta2());
        assertEquals(1e-8, c.adamEpsilon());
        assertEquals(0.0, c.adamWeightDecay());
        assertEquals(1.0, c.maxGradNorm());
        assertEquals(0.9999, c.emaDecay());
        assertEquals(TrainConfig.LossWeighting.NONE, c.lossWeighting());
        assertEquals(5.0, c.snrGamma());
    }

    @Test
    void learningRateWarmsUpLinearly() {
        TrainConfig c = TrainConfig.preset("fashion-mnist").toBuilder().optLearningRate(1e-3).optLrWarmupSteps(500).build();
        assertEquals(1e-3 / 500, c.learningRateAt(0), 1e-18);
        assertEquals(1e-3 * 250 / 500, c.learningRateAt(249), 1e-18);
        assertEquals(1e-3, c.learningRateAt(499), 0);
        assertEquals(1e-3, c.learningRateAt(100_000), 0);
        assertEquals(1e-3, c.toBuilder().optLrWarmupSteps(0).build().learningRateAt(0), 0);
    }

    /**
     * diffusers' get_linear_schedule_with_warmup and get_cosine_schedule_with_warmup after the warm-up: 1 at s = W, the
     * closed forms in between (cosine ½(1 + cos πp): ½ at the middle, (2 + √2)/4 at a quarter), 0 at N and beyond.
     */
    @Test
    void learningRateDecaysLikeDiffusersSchedulers() {
        TrainConfig base = TrainConfig.preset("fashion-mnist").toBuilder().optLearningRate(1e-3).optLrWarmupSteps(100).build();
        TrainConfig cosine = TrainConfig.parse(with(base, "\"lr_scheduler\": \"cosine\", \"lr_total_steps\": 1100"), "c.json");
        TrainConfig linear = TrainConfig.parse(with(base, "\"lr_scheduler\": \"LINEAR\", \"lr_total_steps\": 1100"), "l.json");
        assertEquals(1e-3 / 100, cosine.learningRateAt(0), 1e-18, "the warm-up is the same");
        for (TrainConfig c : List.of(cosine, linear)) {
            assertEquals(1e-3, c.learningRateAt(100), 1e-18);
            assertEquals(0.5e-3, c.learningRateAt(600), 1e-15);
            assertEquals(0, c.learningRateAt(1100), 1e-18);
            assertEquals(0, c.learningRateAt(5000), 0);
        }
        assertEquals(1e-3 * (2 + Math.sqrt(2)) / 4, cosine.learningRateAt(350), 1e-15);
        assertEquals(1e-3 * 0.75, linear.learningRateAt(350), 1e-15);
        assertEquals(cosine, TrainConfig.parse(cosine.toJson(), "round trip"));
        assertTrue(cosine.toJson().contains("\"lr_scheduler\": \"cosine\""), cosine.toJson());
        assertFalse(base.toJson().contains("lr_scheduler"), "a constant rate writes the config as before the key existed");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TrainConfig.parse(with(base, "\"lr_scheduler\": \"cosine\""), "my.json"));
        assertTrue(e.getMessage().contains("my.json") && e.getMessage().contains("lr_total_steps")
                && e.getMessage().contains("greater than lr_warmup_steps (100)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TrainConfig.parse(with(base, "\"lr_scheduler\": \"step\""), "my.json"));
        assertTrue(e.getMessage().contains("lr_scheduler") && e.getMessage().contains("constant, linear or cosine"), e.getMessage());
    }

    /** {@code c}'s JSON with the given keys added. */
    private static String with(TrainConfig c, String keys) {
        String json = c.toJson().trim();
        return json.substring(0, json.lastIndexOf('}')) + ", " + keys + "}";
    }

    private static String withModel(String modelField, String value) {
        JsonObject o = JsonParser.parseString(TrainConfig.preset("fashion-mnist").toJson()).getAsJsonObject();
        o.getAsJsonObject("model").add(modelField, JsonParser.parseString(value));
        return o.toString();
    }

    @Test
    void badModelsAreRefusedWithTheFieldAndTheFix() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TrainConfig.parse(
                withModel("down_block_types", "[\"DownBlock2D\", \"CrossAttnDownBlock2D\", \"AttnDownBlock2D\"]"), "my.json"));
        assertTrue(e.getMessage().startsWith("my.json, object \"model\""), e.getMessage());
        assertTrue(e.getMessage().contains("CrossAttnDownBlock2D"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TrainConfig.parse(withModel("norm_num_groups", "6"), "my.json"));
        assertTrue(e.getMessage().contains("norm_num_groups") && e.getMessage().contains("divide"), e.getMessage());
    }

    @Test
    void badTrainingFieldsAreRefused() {
        String base = TrainConfig.preset("tiny").toJson();
        JsonObject o = JsonParser.parseString(base).getAsJsonObject();
        o.addProperty("batch_sise", 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TrainConfig.parse(o.toString(), "t.json"));
        assertTrue(e.getMessage().contains("batch_sise") && e.getMessage().contains("unknown"), e.getMessage());
        for (String[] bad : new String[][] {{"batch_size", "0"}, {"learning_rate", "-1"}, {"ema_decay", "1.5"},
                {"prediction_type", "\"noise\""}, {"loss_weighting", "\"snr\""}, {"keep_last", "0"},
                {"beta_schedule", "\"quadratic\""}, {"seed", "1.5"}, {"batch_size", "\"32\""}}) {
            JsonObject b = JsonParser.parseString(base).getAsJsonObject();
            b.add(bad[0], JsonParser.parseString(bad[1]));
            IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> TrainConfig.parse(b.toString(), "t.json"),
                    bad[0] + " = " + bad[1]);
            assertTrue(ex.getMessage().startsWith("t.json") && ex.getMessage().contains(bad[0]), ex.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> TrainConfig.parse("[1]", "t.json"));
        assertThrows(IllegalArgumentException.class, () -> TrainConfig.parse("{\"batch_size\": 3}", "t.json"));
        e = assertThrows(IllegalArgumentException.class, () -> TrainConfig.preset("huge"));
        assertTrue(e.getMessage().contains("tiny") && e.getMessage().contains("fashion-mnist"), e.getMessage());
    }

    @Test
    void dataMustFitTheModel() {
        TrainConfig c = TrainConfig.preset("fashion-mnist");
        c.checkData("fm", 1, 28, 28, 10);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.checkData("cifar", 3, 32, 32, 10));
        assertTrue(e.getMessage().contains("32x32") && e.getMessage().contains("sample_size is 28"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> c.checkData("rgb", 3, 28, 28, 0));
        assertTrue(e.getMessage().contains("3-channel") && e.getMessage().contains("set both to 3"), e.getMessage());
    }

    @Test
    void schedulerConfigMatchesTheDiffusersFixture() throws IOException {
        String fixture;
        try (InputStream in = getClass().getResourceAsStream("/fixtures/diffusers/scheduler/scheduler_config.json")) {
            fixture = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        TrainConfig c = TrainConfig.preset("fashion-mnist").toBuilder().optPredictionType(PredictionType.EPSILON).build();
        assertEquals(JsonParser.parseString(fixture), JsonParser.parseString(c.schedulerConfigJson()));
        TrainConfig v = c.toBuilder().optPredictionType(PredictionType.V_PREDICTION)
                .optBetaSchedule(BetaSchedule.SQUAREDCOS_CAP_V2, 1e-4, 0.02, 1000).build();
        JsonObject o = JsonParser.parseString(v.schedulerConfigJson()).getAsJsonObject();
        assertEquals("v_prediction", o.get("prediction_type").getAsString());
        assertEquals("squaredcos_cap_v2", o.get("beta_schedule").getAsString());
    }

    @Test
    void resolveReadsPresetsAndFiles(@TempDir Path tmp) throws IOException {
        assertEquals(TrainConfig.preset("tiny"), TrainConfig.resolve("tiny"));
        Path f = tmp.resolve("mine.json");
        TrainConfig.preset("tiny").toBuilder().optSeed(9).build().save(f);
        assertEquals(9, TrainConfig.resolve(f.toString()).seed());
        assertThrows(IOException.class, () -> TrainConfig.resolve(tmp.resolve("missing.json").toString()));
        Files.writeString(f, "{not json");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TrainConfig.resolve(f.toString()));
        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
    }

    // ------------------------------------------------------------------ p_uncond (classifier-free guidance)

    /** The fashion-mnist preset made class-conditional with {@code numClassEmbeds} embeddings. */
    static TrainConfig conditional(int numClassEmbeds, double pUncond) {
        JsonObject model = TrainConfig.preset("fashion-mnist").model();
        model.addProperty("num_class_embeds", numClassEmbeds);
        return TrainConfig.preset("fashion-mnist").toBuilder().setModel(model).optPUncond(pUncond).build();
    }

    @Test
    void pUncondDefaultsToTheHoSalimansValueAndRoundTrips() {
        assertEquals(0.1, TrainConfig.preset("fashion-mnist").pUncond());
        assertEquals(0.1, TrainConfig.parse("{\"model\": " + TrainConfig.preset("tiny").modelJson() + "}", "x.json").pUncond());
        TrainConfig c = conditional(11, 0.2);
        JsonObject json = JsonParser.parseString(c.toJson()).getAsJsonObject();
        assertEquals(0.2, json.get("p_uncond").getAsDouble(), 0.0);
        TrainConfig back = TrainConfig.parse(c.toJson(), "round trip");
        assertEquals(c, back);
        assertEquals(0.2, back.pUncond(), 0.0);
        assertEquals(0.0, TrainConfig.parse(conditional(10, 0).toJson(), "round trip").pUncond(), 0.0);
        assertEquals(0.2, c.toBuilder().build().pUncond(), 0.0, "toBuilder keeps it");
    }

    @Test
    void pUncondOutsideZeroToOneIsRefusedNamingTheField() {
        String base = TrainConfig.preset("tiny").toJson();
        for (String bad : new String[] {"-0.1", "1", "1.5", "1e300", "\"0.1\"", "[0.1]"}) {
            JsonObject o = JsonParser.parseString(base).getAsJsonObject();
            o.add("p_uncond", JsonParser.parseString(bad));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TrainConfig.parse(o.toString(), "t.json"),
                    "p_uncond = " + bad);
            assertTrue(e.getMessage().startsWith("t.json: field \"p_uncond\""), e.getMessage());
        }
        for (double bad : new double[] {-1e-9, 1.0, Double.NaN, Double.POSITIVE_INFINITY}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> TrainConfig.preset("tiny").toBuilder().optPUncond(bad).build(), "p_uncond = " + bad);
            assertTrue(e.getMessage().contains("\"p_uncond\" = " + bad) && e.getMessage().contains("must be in [0, 1)"),
                    e.getMessage());
        }
        assertEquals(0.999, TrainConfig.preset("tiny").toBuilder().optPUncond(0.999).build().pUncond(), 0.0);
    }

    @Test
    void theNullClassIsTheLastEmbeddingOfAConditionalModel() {
        assertEquals(10, conditional(11, 0.1).nullClassLabel());
        assertEquals(-1, conditional(11, 0).nullClassLabel(), "p_uncond 0: nothing is ever replaced");
        assertEquals(-1, TrainConfig.preset("fashion-mnist").nullClassLabel(), "unconditional: no null class");
        assertEquals(-1, TrainConfig.preset("fashion-mnist").toBuilder().optPUncond(0.5).build().nullClassLabel());
    }

    @Test
    void labelDropoutNeedsExactlyOneExtraEmbedding() {
        conditional(11, 0.1).checkData("fm", 1, 28, 28, 10);
        conditional(10, 0).checkData("fm", 1, 28, 28, 10);
        conditional(12, 0).checkData("fm", 1, 28, 28, 10); // spare embeddings are allowed without dropout
        TrainConfig.preset("fashion-mnist").checkData("fm", 1, 28, 28, 10); // unconditional ignores p_uncond and labels
        for (int k : new int[] {10, 12}) {
            TrainConfig c = conditional(k, 0.1);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.checkData("fm", 1, 28, 28, 10),
                    "num_class_embeds " + k);
            assertTrue(e.getMessage().contains("p_uncond 0.1") && e.getMessage().contains("data fm has 10 classes")
                    && e.getMessage().contains("set model.num_class_embeds to 11")
                    && e.getMessage().contains("or set p_uncond to 0"), e.getMessage());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> conditional(9, 0).checkData("fm", 1, 28, 28, 10));
        assertTrue(e.getMessage().contains("num_class_embeds is 9") && e.getMessage().contains("at least 10"), e.getMessage());
    }

    /** The checkpoint shipped in models/fashion-mnist-ddpm-uncond, written before p_uncond existed. */
    static final Path SHIPPED_CHECKPOINT = Path.of(System.getProperty("diffusion4j.root", ".."))
            .resolve("models/fashion-mnist-ddpm-uncond/training/step-3065");

    @Test
    void aCheckpointConfigWrittenBeforePUncondLoadsWithTheDefault() throws IOException {
        Path file = SHIPPED_CHECKPOINT.resolve(TrainingCheckpoint.CONFIG);
        assumeTrue(Files.isRegularFile(file), "no shipped checkpoint at " + SHIPPED_CHECKPOINT);
        JsonObject raw = JsonParser.parseString(Files.readString(file)).getAsJsonObject();
        assertTrue(!raw.has("p_uncond"), "the shipped checkpoint predates p_uncond");
        TrainConfig c = TrainingCheckpoint.readConfig(SHIPPED_CHECKPOINT);
        assertEquals(0.1, c.pUncond());
        assertNull(c.unetConfig().numClassEmbeds());
        assertEquals(-1, c.nullClassLabel(), "an unconditional model never sees a null class");
        c.checkData("fashion-mnist", 1, 28, 28, 10);
        // every other field reads as written: the re-serialised config is the old file plus p_uncond
        JsonObject again = JsonParser.parseString(c.toJson()).getAsJsonObject();
        assertEquals(0.1, again.remove("p_uncond").getAsDouble(), 0.0);
        assertEquals(raw, again);
    }

    /** The presets of the decoder comparison at 64×64: pixel diffusion with text, and the cascade's 32 → 64 stage. */
    @Test
    void theSixtyFourPixelPresetsDescribeTheComparisonsModels() {
        for (String name : TrainConfig.PRESETS) {
            assertTrue(TrainConfig.preset(name).toJson().contains("\"model\""), name);
        }
        TrainConfig pixel = TrainConfig.preset("shapes-t2i-64");
        assertTrue(pixel.isText() && pixel.conditionConfig().sampleSize() == 64, pixel.toJson());
        TrainConfig sr = TrainConfig.preset("shapes-sr");
        assertEquals(2, sr.srFactor());
        assertEquals(64, sr.unetConfig().sampleSize());
        assertEquals(6, sr.unetConfig().inChannels(), "x_t and the upsampled 32x32 image");
        try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager()) {
            assertTrue(Training.newTrainable(sr, m).isImageConditional(), "its num_class_embeds covers every augmentation level");
        }
    }
}
