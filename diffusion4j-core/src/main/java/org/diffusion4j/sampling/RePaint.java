package org.diffusion4j.sampling;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import org.diffusion4j.diffusion.Denoiser;
import org.diffusion4j.diffusion.NoiseSource;
import org.diffusion4j.schedule.NoiseSchedule;

/**
 * RePaint (Lugmayr et al. 2022, "RePaint: Inpainting using Denoising Diffusion Probabilistic Models", Algorithm 1),
 * as diffusers' {@code RePaintScheduler}/{@code RePaintPipeline}. Each reverse step from t to s = t − T/n combines
 * <pre>
 *   x_s^known   = √ᾱ_s x₀ + √(1−ᾱ_s) z                          (Eq. 8a: the original, forward-noised; fresh z)
 *   x_s^unknown = the DDIM/DDPM step of x_t                       (Eq. 8b; η = 1 is DDPM's ancestral step)
 *   x_s         = m ⊙ x_s^unknown + (1 − m) ⊙ x_s^known           (Eq. 8c; m = 1 where the image is repainted)
 * </pre>
 * and resampling (Sec. 4.2) harmonises the two regions: every {@code jumpLength} steps the chain jumps back up
 * {@code jumpLength} levels by the forward process, x_b = √(ᾱ_b/ᾱ_a) x_a + √(1 − ᾱ_b/ᾱ_a) z (q(x_b | x_a), one draw
 * for the whole jump), and descends again, {@code jumpNSample} times in all — the schedule of diffusers'
 * {@code get_schedule_jump}. {@code jumpNSample = 1} is RePaint without resampling. After the last step the known
 * pixels equal x₀ exactly.
 */
public final class RePaint {

    /** The longest timestep schedule accepted (a few hours of sampling for a small model). */
    public static final int MAX_SCHEDULE = 1_000_000;

    private final NoiseSchedule schedule;
    private final Ddim ddim;
    private final int stride;
    private final int[] timesteps;

    /**
     * RePaint over {@code options.steps()} = n levels of {@code schedule} (leading spacing, T/n apart), with the reverse
     * step of DDIM at {@code options.eta()} (1 for RePaint's DDPM), and jumps of {@code jumpLength} levels made
     * {@code jumpNSample − 1} times at every {@code jumpLength}-th level.
     */
    public RePaint(NoiseSchedule schedule, SamplerOptions options, int jumpLength, int jumpNSample) {
        int n = options.steps();
        if (n > schedule.numTimesteps()) {
            throw new IllegalArgumentException("--steps " + n + " exceeds the schedule's " + schedule.numTimesteps() + " timesteps");
        }
        this.schedule = schedule;
        this.stride = schedule.numTimesteps() / n;
        this.ddim = new Ddim(schedule, options.toBuilder().spacing(org.diffusion4j.schedule.TimestepSpacing.LEADING)
                .stepsOffset(0).setAlphaToOne(true).build());
        int[] levels = jumpSchedule(n, jumpLength, jumpNSample);
        this.timesteps = new int[levels.length];
        for (int i = 0; i < levels.length; i++) {
            timesteps[i] = levels[i] * stride;
        }
    }

    /**
     * The order in which the n levels are visited (diffusers' {@code get_schedule_jump}): down from n−1 to 0, and at
     * each level j ∈ {0, L, 2L, … &lt; n−L} back up L levels and down again, r − 1 times.
     *
     * @throws IllegalArgumentException for L or r below 1, or a schedule longer than {@value #MAX_SCHEDULE}
     */
    public static int[] jumpSchedule(int n, int jumpLength, int jumpNSample) {
        if (jumpLength < 1) {
            throw new IllegalArgumentException("--jump-length must be at least 1, got " + jumpLength);
        }
        if (jumpNSample < 1) {
            throw new IllegalArgumentException("--jump-n-sample must be at least 1 (1 = no resampling), got " + jumpNSample);
        }
        long jumps = n > jumpLength ? (n - jumpLength + jumpLength - 1L) / jumpLength : 0;
        long length = n + jumps * (jumpNSample - 1L) * 2L * jumpLength;
        if (length > MAX_SCHEDULE) {
            throw new IllegalArgumentException("RePaint with " + n + " steps, --jump-length " + jumpLength + " and --jump-n-sample "
                    + jumpNSample + " visits " + length + " levels (at most " + MAX_SCHEDULE + "); lower --jump-n-sample or --steps");
        }
        int[] left = new int[n];
        for (int j = 0; j < n - jumpLength; j += jumpLength) {
            left[j] = jumpNSample - 1;
        }
        List<Integer> out = new ArrayList<>((int) length);
        int t = n;
        while (t >= 1) {
            t--;
            out.add(t);
            if (left[t] > 0) {
                left[t]--;
                for (int k = 0; k < jumpLength; k++) {
                    t++;
                    out.add(t);
                }
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    /** The timesteps visited, in order (a step down when smaller than the one before, else a jump up). */
    public int[] timesteps() {
        return timesteps.clone();
    }

    /** Network evaluations per image: the steps down. */
    public int evaluations() {
        int count = 0;
        int last = timesteps[0] + 1;
        for (int t : timesteps) {
            count += t < last ? 1 : 0;
            last = t;
        }
        return count;
    }

    /**
     * Inpaints {@code x0} ([B, C, H, W], model range) where {@code mask} ([B, 1, H, W]) is 1 — white = repaint, diffusers'
     * inpainting convention — from {@code xT} (standard normal, x0's shape). The listener sees every entry of
     * {@link #timesteps()}. The result belongs to x0's manager.
     */
    public NDArray inpaint(Denoiser denoiser, NDArray x0, NDArray mask, NDArray xT, NoiseSource noise, SamplingListener listener) {
        NDManager caller = x0.getManager();
        NDArray keep = mask.neg().add(1f);
        NDArray x = xT;
        long draw = 0;
        int last = timesteps[0] + 1;
        try {
            for (int i = 0; i < timesteps.length; i++) {
                try (NDManager sub = caller.newSubManager()) {
                    for (NDArray a : new NDArray[] {x0, mask, keep}) {
                        a.tempAttach(sub);
                    }
                    if (x == xT) {
                        x.tempAttach(sub);
                    } else {
                        x.attach(sub);
                    }
                    int t = timesteps[i];
                    NDArray next;
                    NDArray predictedX0;
                    if (t < last) {
                        int s = t - stride;
                        double alphaCumprodPrev = schedule.alphaCumprodOrOne(s);
                        NDArray out = denoiser.predict(x, t);
                        NDArray z = ddim.sigma(t, s) > 0 ? noise.normal(sub, x.getShape(), draw++) : null;
                        StepResult unknown = ddim.step(out, denoiser.predictionType(), x, t, s, z);
                        NDArray known = s < 0 ? x0.duplicate() : x0.mul((float) Math.sqrt(alphaCumprodPrev))
                                .add(noise.normal(sub, x.getShape(), draw++).mul((float) Math.sqrt(1 - alphaCumprodPrev)));
                        next = unknown.prevSample().mul(mask).add(known.mul(keep));
                        predictedX0 = unknown.predictedX0();
                    } else {
                        double ratio = schedule.alphaCumprodOrOne(t - stride) / schedule.alphaCumprodOrOne(last - stride);
                        next = x.mul((float) Math.sqrt(ratio))
                                .add(noise.normal(sub, x.getShape(), draw++).mul((float) Math.sqrt(1 - ratio)));
                        predictedX0 = x;
                    }
                    listener.onStep(i, timesteps.length, t, next, predictedX0);
                    next.attach(caller);
                    x = next;
                    last = t;
                }
            }
            return x;
        } finally {
            keep.close();
        }
    }
}
