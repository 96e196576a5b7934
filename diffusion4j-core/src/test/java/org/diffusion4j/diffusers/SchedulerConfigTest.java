package org.diffusion4j.diffusers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.diffusion4j.diffusers.PythonJson;
import org.diffusion4j.diffusers.SchedulerConfig;
import org.diffusion4j.diffusion.PredictionType;
import org.diffusion4j.diffusion.VarianceType;
import org.diffusion4j.io.SafeTensors;
import org.diffusion4j.sampling.SamplerOptions;
import org.diffusion4j.sampling.Samplers;
import org.diffusion4j.schedule.BetaSchedule;
import org.diffusion4j.schedule.NoiseSchedule;
import org.diffusion4j.schedule.TimestepSpacing;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SchedulerConfigTest {

    static final Path FIXTURES = Path.of("src/test/resources/fixtures/diffusers");
    static final Path CONFIGS = FIXTURES.resolve("reference/scheduler_configs");
    static final List<String> LOOPS = List.of("ddpm_fixed_small", "ddpm_fixed_large", "ddim_leading", "ddim_trailing",
            "ddim_leading_clip", "dpmpp_2m", "euler");

    static SchedulerConfig loop(String name) throws IOException {
        return SchedulerConfig.read(CONFIGS.resolve(name + ".json"));
    }

    /** Every fixture config, written back, is byte-identical to what diffusers wrote (keys, floats, -Infinity). */
    @Test
    void fixtureConfigsRoundTripByteForByte() throws IOException {
        try (Stream<Path> files = Files.list(CONFIGS)) {
            for (Path f : files.toList()) {
                assertEquals(Files.readString(f), SchedulerConfig.read(f).toJson(), f.toString());
            }
        }
        Path model = FIXTURES.resolve("scheduler/scheduler_config.json");
        assertEquals(Files.readString(model), SchedulerConfig.read(model).toJson());
    }

    /** The trainer's default config is exactly the one diffusers 0.31 writes for DDPMScheduler(). */
    @Test
    void ddpmDefaultsEqualDiffusersDefaultConfig(@TempDir Path dir) throws IOException {
        SchedulerConfig c = SchedulerConfig.ddpmDefaults();
        assertEquals(Files.readString(FIXTURES.resolve("scheduler/scheduler_config.json")), c.toJson());
        Path out = dir.resolve("scheduler/scheduler_config.json");
        c.write(out);
        assertEquals(c.toJson(), Files.readString(out));
        try (Stream<Path> left = Files.list(out.getParent())) {
            assertEquals(1, left.count(), "no temporary file left behind");
        }
        SchedulerConfig large = SchedulerConfig.parse(c.withVarianceType(VarianceType.FIXED_LARGE).withClipSample(false)
                .toJson(), "copy");
        assertEquals(VarianceType.FIXED_LARGE, large.varianceType());
        assertFalse(large.clipSample());
        assertEquals(VarianceType.FIXED_SMALL, c.varianceType(), "the original is unchanged");
        SchedulerConfig ddim = SchedulerConfig.parse(c.withClassName(SchedulerConfig.DDIM).toJson(), "ddim");
        assertEquals("ddim", ddim.samplerName());
        assertTrue(ddim.setAlphaToOne());
        SchedulerConfig cos = SchedulerConfig.ddpmDefaults(BetaSchedule.SQUAREDCOS_CAP_V2, 4000, 1e-4, 0.02,
                PredictionType.V_PREDICTION);
        SchedulerConfig back = SchedulerConfig.parse(cos.toJson(), "round trip");
        assertEquals(4000, back.numTrainTimesteps());
        assertEquals(BetaSchedule.SQUAREDCOS_CAP_V2, back.betaSchedule());
        assertEquals(PredictionType.V_PREDICTION, back.predictionType());
        assertArrayEquals(cos.noiseSchedule().betas(),
                back.noiseSchedule().betas());
    }

    /** The schedule built from each config equals diffusers' float32 betas and alphas_cumprod to float32 rounding. */
    @Test
    void noiseScheduleMatchesDiffusers() throws IOException {
        SafeTensors ref = SafeTensors.read(FIXTURES.resolve("reference/schedulers.safetensors"));
        float[] betas = ref.floats("betas");
        for (String loop : LOOPS) {
            NoiseSchedule s = loop(loop).noiseSchedule();
            float[] acp = ref.floats(loop + "/alphas_cumprod");
            assertEquals(1000, s.numTimesteps());
            for (int t = 0; t < 1000; t++) {
                // torch.linspace in float32: a few float32 ulps (6e-8 relative each)
                assertEquals(betas[t], s.beta(t), 3e-7 * betas[t], loop + " β_" + t);
                // float32 cumprod accumulates ~1e-7 relative rounding per factor
                assertEquals(acp[t], s.alphaCumprod(t), 2e-5 * acp[t], loop + " ᾱ_" + t);
            }
        }
    }

    @Test
    void samplerOptionsFollowEachConfig() throws IOException {
        SamplerOptions small = loop("ddpm_fixed_small").samplerOptions(50);
        assertEquals(50, small.steps());
        assertEquals(VarianceType.FIXED_SMALL, small.varianceType());
        assertTrue(small.clipSample());
        assertEquals(TimestepSpacing.LEADING, small.spacing());
        assertEquals(VarianceType.FIXED_LARGE, loop("ddpm_fixed_large").samplerOptions(50).varianceType());
        assertFalse(loop("ddim_leading").samplerOptions(50).clipSample());
        assertTrue(loop("ddim_leading_clip").samplerOptions(50).clipSample());
        assertEquals(TimestepSpacing.TRAILING, loop("ddim_trailing").samplerOptions(50).spacing());
        assertTrue(loop("ddim_trailing").samplerOptions(50).setAlphaToOne());
        SchedulerConfig dpm = loop("dpmpp_2m");
        SamplerOptions d = dpm.samplerOptions(20);
        assertEquals(Double.NEGATIVE_INFINITY, d.lambdaMinClipped());
        assertEquals(2, d.solverOrder());
        assertTrue(d.lowerOrderFinal());
        assertEquals(TimestepSpacing.LINSPACE, d.spacing());
        assertNull(dpm.varianceType());
        assertEquals("dpm-solver++", dpm.samplerName());
        SchedulerConfig euler = loop("euler");
        assertEquals(SamplerOptions.SigmaInterpolation.LINEAR, euler.samplerOptions(20).interpolation());
        assertTrue(Double.isNaN(euler.samplerOptions(20).sigmaMax()));
        assertEquals(List.of(), euler.ignoredKeys());
        assertEquals("ddim", loop("ddim_leading").samplerName());
    }

    /** Configs of diffusers 0.1 (no prediction_type, a tensor_format key) still load with the right defaults. */
    @Test
    void oldConfigsLoadWithDefaults() {
        SchedulerConfig c = SchedulerConfig.parse("""
                {"_class_name": "DDPMScheduler", "_diffusers_version": "0.1.1", "beta_end": 0.02,
                 "beta_schedule": "linear", "beta_start": 0.0001, "clip_sample": true, "num_train_timesteps": 1000,
                 "tensor_format": "pt", "trained_betas": null, "variance_type": "fixed_small"}""", "old.json");
        assertEquals(PredictionType.EPSILON, c.predictionType());
        assertEquals(TimestepSpacing.LEADING, c.timestepSpacing());
        assertEquals(List.of("tensor_format"), c.ignoredKeys());
        assertEquals(PredictionType.SAMPLE, SchedulerConfig.parse(
                "{\"_class_name\": \"DDIMScheduler\", \"predict_epsilon\": false}", "x").predictionType());
        SchedulerConfig trained = SchedulerConfig.parse(
                "{\"_class_name\": \"DDPMScheduler\", \"num_train_timesteps\": 3, \"trained_betas\": [0.1, 0.2, 0.5]}", "t");
        assertArrayEquals(new double[] {0.1, 0.2, 0.5}, trained.noiseSchedule().betas());
        assertEquals(0, SchedulerConfig.parse("{\"_class_name\": \"DDIMScheduler\", \"rescale_betas_zero_snr\": true}",
                "z").noiseSchedule().alphaCumprod(999), 1e-12);
    }

    @Test
    void badValuesAreRefusedNamingFileFieldAndFix() {
        assertError("{\"_class_name\": \"DDPMScheduler\", \"beta_schedule\": \"quadratic\"}", "beta_schedule", "squaredcos_cap_v2");
        assertError("{\"_class_name\": \"DDPMScheduler\", \"variance_type\": \"quadratic\"}", "variance_type", "fixed_large");
        assertError("{\"_class_name\": \"DDPMScheduler\", \"prediction_type\": \"flow\"}", "prediction_type", "v_prediction");
        assertError("{\"_class_name\": \"DDIMScheduler\", \"timestep_spacing\": \"karras\"}", "timestep_spacing", "trailing");
        assertError("{\"_class_name\": \"DDPMScheduler\", \"num_train_timesteps\": 1000.5}", "num_train_timesteps", "whole number");
        assertError("{\"_class_name\": \"DDPMScheduler\", \"clip_sample\": \"yes\"}", "clip_sample", "true or false");
        assertError("{\"_class_name\": \"DDPMScheduler\", \"beta_end\": \"0.02\"}", "beta_end", "decimal number");
        assertError("{\"_class_name\": \"DDPMScheduler\", \"num_train_timesteps\": 4, \"trained_betas\": [0.1]}",
                "trained_betas", "agree");
        assertError("{\"_class_name\": \"DDPMScheduler\", \"beta_end\": 1.5}", "beta_end", "outside");
        assertError("{\"_class_name\": \"PNDMScheduler\"}", "_class_name", "DDPMScheduler");
        assertError("{\"beta_end\": 0.02}", "_class_name", "DDPMScheduler");
        assertError("{\"_class_name\": \"DPMSolverMultistepScheduler\", \"algorithm_type\": \"sde-dpmsolver++\"}",
                "algorithm_type", "dpmsolver++");
        assertError("{\"_class_name\": \"EulerDiscreteScheduler\", \"use_exponential_sigmas\": true}",
                "use_exponential_sigmas", "false");
        assertError("{\"_class_name\": \"EulerDiscreteScheduler\", \"timestep_type\": \"continuous\"}", "timestep_type", "discrete");
        assertError("{\"_class_name\": \"DDPMScheduler\", \"steps_offset\": -1}", "steps_offset", "≥ 0");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SchedulerConfig.parse("{\"_class_name\": \"DDPMScheduler\",,, ]", "broken.json"));
        assertTrue(e.getMessage().startsWith("broken.json: "), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SchedulerConfig.parse("[1, 2]", "list.json"));
        assertTrue(e.getMessage().contains("JSON object"), e.getMessage());
    }

    /** Python's non-standard literals parse (lambda_min_clipped: -Infinity is what diffusers writes). */
    @Test
    void pythonLiteralsParse() {
        SchedulerConfig c = SchedulerConfig.parse(
                "{\"_class_name\": \"DPMSolverMultistepScheduler\", \"lambda_min_clipped\": -5.1}", "x");
        assertEquals(-5.1, c.samplerOptions(10).lambdaMinClipped());
        c = SchedulerConfig.parse("{\"_class_name\": \"DPMSolverMultistepScheduler\", \"lambda_min_clipped\": -Infinity}", "x");
        assertEquals(Double.NEGATIVE_INFINITY, c.samplerOptions(10).lambdaMinClipped());
        assertEquals("1e-05", PythonJson.number(1e-5));
        assertEquals("0.0001", PythonJson.number(1e-4));
        assertEquals("1000.0", PythonJson.number(1000));
        assertEquals("1.5e+16", PythonJson.number(1.5e16));
        assertEquals("0.00085", PythonJson.number(0.00085));
        assertEquals("-Infinity", PythonJson.number(Double.NEGATIVE_INFINITY));
    }

    /** A learned-variance model's config loads (the network has 2C output channels), but DDPM refuses to use it. */
    @Test
    void learnedVarianceIsReportedAndRefusedByDdpm() {
        SchedulerConfig c = SchedulerConfig.parse(
                "{\"_class_name\": \"DDPMScheduler\", \"variance_type\": \"learned_range\"}", "x");
        assertEquals(VarianceType.LEARNED_RANGE, c.varianceType());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Samplers.create("ddpm", c.noiseSchedule(), c.samplerOptions(10)));
        assertTrue(e.getMessage().contains("learned_range"), e.getMessage());
        assertEquals(VarianceType.FIXED_SMALL, SchedulerConfig.parse(
                "{\"_class_name\": \"DDPMScheduler\", \"variance_type\": \"fixed_small_log\"}", "x").varianceType());
    }

    @Test
    void thresholdingIsHonoured() {
        SchedulerConfig c = SchedulerConfig.parse("{\"_class_name\": \"DDPMScheduler\", \"thresholding\": true,"
                + " \"dynamic_thresholding_ratio\": 0.9, \"sample_max_value\": 2.0}", "x");
        SamplerOptions o = c.samplerOptions(10);
        assertTrue(o.thresholding());
        assertEquals(0.9, o.dynamicThresholdingRatio());
        assertEquals(2.0, o.sampleMaxValue());
        assertTrue(c.toJson().contains("\"thresholding\": true"));
    }

    static void assertError(String json, String field, String fix) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SchedulerConfig.parse(json, "cfg.json"));
        String m = e.getMessage();
        assertTrue(m.startsWith("cfg.json: ") && m.contains(field) && m.contains(fix), m);
    }
}
