package org.diffusion4j.sampling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import org.diffusion4j.diffusers.SchedulerConfig;
import org.diffusion4j.diffusion.Denoiser;
import org.diffusion4j.diffusion.NoiseSource;
import org.diffusion4j.diffusion.PredictionType;
import org.diffusion4j.diffusion.VarianceType;
import org.diffusion4j.io.SafeTensors;
import org.diffusion4j.schedule.NoiseSchedule;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * DDPM and DDIM against diffusers 0.31 (fixtures/diffusers/reference, see its README): the stored UNet outputs
 * are replayed (teacher forcing of the network), our sampler chains its own samples from x_T, and every step is
 * compared with diffusers' sample. Settings come from the loop's scheduler_config.json through SchedulerConfig.
 *
 * <p>Tolerances. The README's float64 replay (same stored model outputs and noise, scheduler in float64) differs
 * from diffusers' float32 run by 4.8e-6 (DDPM, max |x| 4.6), 3.7e-4 (ddim_leading, max |x| 527) and 5.7e-4
 * (ddim_trailing, max |x| 637, i.e. 8.9e-7 relative): that is the float32 rounding of diffusers itself. Our
 * samplers compute the scalars in double and the tensors in float32, so they land about as far away; we allow
 * 4× the float64-replay difference, absolute for DDPM and relative to max |x| for the unclipped DDIM loops.
 */
@ExtendWith(IntraOpThreads.class)
class DiffusersReferenceTest {

    static final Path REF = Path.of("src/test/resources/fixtures/diffusers/reference");
    /** 4 × the float64-replay difference of the DDPM loops (4.8e-6). */
    static final double ABSOLUTE_DDPM = 2e-5;
    /** 4 × the float64-replay relative difference of the DDIM loops (5.7e-4 / 637 = 8.9e-7), times max |x|. */
    static final double RELATIVE_DDIM = 3.6e-6;
    /** Clipped DDIM, one step at a time from diffusers' own samples[i]: 4 × its float64 replay difference (1.1e-6). */
    static final double ABSOLUTE_DDIM_CLIP_STEP = 4.5e-6;

    static SafeTensors schedulers;
    static SafeTensors samples;
    static SafeTensors outputs;

    @BeforeAll
    static void load() throws IOException {
        schedulers = SafeTensors.read(REF.resolve("schedulers.safetensors"));
        samples = SafeTensors.read(REF.resolve("loop_samples.safetensors"));
        outputs = SafeTensors.read(REF.resolve("loop_model_outputs.safetensors"));
    }

    static final NoiseSource NO_NOISE = (m, s, i) -> {
        throw new AssertionError("a deterministic loop drew noise (draw " + i + ")");
    };

    /** Runs a loop teacher-forced; returns {max step error, max |x|, final x_0 error}. */
    static double[] teacherForced(String loop) throws IOException {
        SchedulerConfig config = SchedulerConfig.read(REF.resolve("scheduler_configs/" + loop + ".json"));
        NoiseSchedule schedule = config.noiseSchedule();
        Sampler sampler = Samplers.create(config.samplerName(), schedule, config.samplerOptions(50));
        long[] ts = schedulers.longs(loop + "/timesteps");
        int[] ours = sampler instanceof Ddpm d ? d.timesteps() : ((Ddim) sampler).timesteps();
        assertArrayEquals(ts, Arrays.stream(ours).asLongStream().toArray(), loop + " timesteps");
        assertEquals(1f, schedulers.floats(loop + "/init_noise_sigma")[0]);
        String out = loop + "/model_outputs";
        Denoiser replay = new ReplayDenoiser(outputs.floats(out), outputs.info(out).shape(), ts);
        NoiseSource noise = config.className().equals(SchedulerConfig.DDPM)
                ? StoredNoise.read(REF.resolve("schedulers.safetensors"), loop + "/noise") : NO_NOISE;
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray expected = samples.toNDArray(loop + "/samples", m);
            double maxAbs = expected.abs().max().getFloat();
            double[] worst = new double[1];
            NDArray x0 = sampler.sample(replay, schedulers.toNDArray("x_T", m), noise, (i, n, t, x, px0) -> {
                double err = x.sub(expected.get(i + 1)).abs().max().getFloat();
                worst[0] = Math.max(worst[0], err);
            });
            double finalErr = x0.sub(schedulers.toNDArray(loop + "/x_0", m)).abs().max().getFloat();
            System.out.printf("teacher-forced %-17s max step error %.3e, final x_0 error %.3e, max |x| %.1f%n",
                    loop, worst[0], finalErr, maxAbs);
            return new double[] {worst[0], maxAbs, finalErr};
        }
    }

    @Test
    void ddpmFixedSmall() throws IOException {
        double[] r = teacherForced("ddpm_fixed_small");
        assertTrue(r[0] <= ABSOLUTE_DDPM && r[2] <= ABSOLUTE_DDPM, Arrays.toString(r));
    }

    @Test
    void ddpmFixedLarge() throws IOException {
        double[] r = teacherForced("ddpm_fixed_large");
        assertTrue(r[0] <= ABSOLUTE_DDPM && r[2] <= ABSOLUTE_DDPM, Arrays.toString(r));
    }

    @Test
    void ddimLeading() throws IOException {
        double[] r = teacherForced("ddim_leading");
        assertTrue(r[0] <= RELATIVE_DDIM * r[1] && r[2] <= RELATIVE_DDIM * r[1], Arrays.toString(r));
    }

    @Test
    void ddimTrailing() throws IOException {
        double[] r = teacherForced("ddim_trailing");
        assertTrue(r[0] <= RELATIVE_DDIM * r[1] && r[2] <= RELATIVE_DDIM * r[1], Arrays.toString(r));
    }

    /** CHAOTIC as a chain (README): each step is fed diffusers' samples[i] and compared with samples[i+1]. */
    @Test
    void ddimLeadingClipStepByStep() throws IOException {
        String loop = "ddim_leading_clip";
        SchedulerConfig config = SchedulerConfig.read(REF.resolve("scheduler_configs/" + loop + ".json"));
        Ddim ddim = (Ddim) Samplers.create("ddim", config.noiseSchedule(), config.samplerOptions(50));
        int[] ts = ddim.timesteps();
        double worst = 0;
        double worstX0 = 0;
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray s = samples.toNDArray(loop + "/samples", m);
            NDArray eps = outputs.toNDArray(loop + "/model_outputs", m);
            for (int i = 0; i < ts.length; i++) {
                int prev = i + 1 < ts.length ? ts[i + 1] : -1;
                StepResult r = ddim.step(eps.get(i), PredictionType.EPSILON, s.get(i), ts[i], prev, null);
                worst = Math.max(worst, r.prevSample().sub(s.get(i + 1)).abs().max().getFloat());
                worstX0 = Math.max(worstX0, r.predictedX0().abs().max().getFloat());
            }
        }
        System.out.printf("step-by-step     %-17s max step error %.3e%n", loop, worst);
        assertTrue(worst <= ABSOLUTE_DDIM_CLIP_STEP, "max step error " + worst);
        assertTrue(worstX0 <= 1.0, "x̂₀ is clipped to [-1, 1]");
    }

    /** Single DDPM steps on the full 1000-step schedule (prev_t = t − 1), including t = 0 (no noise). */
    @Test
    void ddpmSingleSteps() throws IOException {
        for (String variant : new String[] {"fixed_small", "fixed_large"}) {
            String k = "ddpm_step_" + variant;
            NoiseSchedule schedule = SchedulerConfig.read(REF.resolve("scheduler_configs/ddpm_" + variant + ".json"))
                    .noiseSchedule();
            Ddpm ddpm = new Ddpm(schedule, SamplerOptions.builder().steps(1000).clipSample(true)
                    .varianceType(VarianceType.parse(variant)).build());
            long[] ts = schedulers.longs(k + "/t");
            double worst = 0;
            double worstX0 = 0;
            try (NDManager m = NDManager.newBaseManager()) {
                NDArray eps = schedulers.toNDArray(k + "/model_output", m);
                NDArray x = schedulers.toNDArray(k + "/sample", m);
                NDArray noise = schedulers.toNDArray(k + "/noise", m);
                NDArray prev = schedulers.toNDArray(k + "/prev_sample", m);
                NDArray px0 = schedulers.toNDArray(k + "/pred_original_sample", m);
                for (int j = 0; j < ts.length; j++) {
                    int t = (int) ts[j];
                    StepResult r = ddpm.step(eps.get(j), PredictionType.EPSILON, x.get(j), t, t - 1,
                            t > 0 ? noise.get(j) : null);
                    worst = Math.max(worst, r.prevSample().sub(prev.get(j)).abs().max().getFloat());
                    worstX0 = Math.max(worstX0, r.predictedX0().sub(px0.get(j)).abs().max().getFloat());
                }
                System.out.printf("single steps %s t=%s: prev_sample error %.3e, x̂₀ error %.3e%n",
                        variant, Arrays.toString(ts), worst, worstX0);
            }
            // README: a float64 replay differs by 5.6e-5 (float32 cancellation in diffusers near t = 0); allow 4×.
            assertTrue(worst <= 2.3e-4 && worstX0 <= 2.3e-4, variant + ": " + worst + ", " + worstX0);
        }
    }

    /**
     * q(x_t | x₀) of Eq. 4 with our double schedule against diffusers' add_noise. diffusers uses its float32 ᾱ, whose
     * rounding is amplified in √(1 − ᾱ) near t = 0 (1 − 0.9999 loses 4 digits); the tolerance per sample is that
     * propagated difference, |Δ√ᾱ|·max|x₀| + |Δ√(1−ᾱ)|·max|ε|, plus 4 float32 ulps of max |x_t|.
     */
    @Test
    void addNoise() throws IOException {
        NoiseSchedule s = SchedulerConfig.read(REF.resolve("scheduler_configs/ddpm_fixed_small.json")).noiseSchedule();
        float[] diffusersAlphaCumprod = schedulers.floats("ddpm_fixed_small/alphas_cumprod");
        long[] ts = schedulers.longs("add_noise/t");
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x0 = schedulers.toNDArray("add_noise/x0", m);
            NDArray eps = schedulers.toNDArray("add_noise/noise", m);
            NDArray xt = schedulers.toNDArray("add_noise/x_t", m);
            for (int j = 0; j < ts.length; j++) {
                int t = (int) ts[j];
                NDArray ours = x0.get(j).mul((float) s.sqrtAlphaCumprod(t))
                        .add(eps.get(j).mul((float) s.sqrtOneMinusAlphaCumprod(t)));
                double err = ours.sub(xt.get(j)).abs().max().getFloat();
                double a32 = diffusersAlphaCumprod[t];
                double tol = Math.abs(s.sqrtAlphaCumprod(t) - Math.sqrt(a32)) * x0.get(j).abs().max().getFloat()
                        + Math.abs(s.sqrtOneMinusAlphaCumprod(t) - Math.sqrt(1 - a32)) * eps.get(j).abs().max().getFloat()
                        + 4 * Math.ulp(xt.get(j).abs().max().getFloat());
                System.out.printf("add_noise t=%d error %.3e (tolerance %.3e)%n", t, err, tol);
                assertTrue(err <= tol, "add_noise t=" + t + " error " + err + " > " + tol);
            }
        }
    }
}
