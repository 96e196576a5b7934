package org.diffusion4j.sampling;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import org.diffusion4j.schedule.NoiseSchedule;

/** Small pieces shared by the samplers. */
final class SamplingMath {

    private SamplingMath() {}

    /**
     * Puts the state {@code x} of a loop under the step's manager {@code sub}: the caller's {@code start} only
     * temporarily (it goes back to the caller when sub closes), the loop's own previous state for good (it is
     * closed with sub).
     */
    static void enterStep(NDArray x, NDArray start, NDManager sub) {
        if (x == start) {
            x.tempAttach(sub);
        } else {
            x.attach(sub);
        }
    }

    /**
     * The n sampling timesteps of {@code options} over {@code schedule}, in sampling order, checked to lie in
     * [0, T−1] (a leading spacing with a large {@code steps_offset} could leave it).
     */
    static int[] timesteps(NoiseSchedule schedule, SamplerOptions options) {
        int numTrain = schedule.numTimesteps();
        if (options.steps() > numTrain) {
            throw new IllegalArgumentException("steps = " + options.steps() + " exceeds the schedule's "
                    + numTrain + " training timesteps; use at most " + numTrain);
        }
        int[] ts = options.spacing().timesteps(numTrain, options.steps(), options.stepsOffset());
        for (int t : ts) {
            if (t < 0 || t >= numTrain) {
                throw new IllegalArgumentException("timestep " + t + " (spacing " + options.spacing().diffusersName()
                        + ", steps " + options.steps() + ", steps_offset " + options.stepsOffset()
                        + ") lies outside [0, " + (numTrain - 1) + "]; lower steps_offset or steps");
            }
        }
        return ts;
    }

    /**
     * The state before loop step {@code step} of a timestep sampler: q(x_t | x₀) = √ᾱ_t x₀ + √(1−ᾱ_t) ε
     * (Eq. 4 of Ho et al. 2020; diffusers' {@code add_noise}) at t = ts[step], and x₀ itself at the end (step = n).
     */
    static NDArray noised(NoiseSchedule schedule, int[] ts, NDArray x0, NDArray epsilon, int step) {
        if (step < 0 || step > ts.length) {
            throw new IllegalArgumentException("step " + step + " is outside [0, " + ts.length + "]");
        }
        if (step == ts.length) {
            return x0.duplicate();
        }
        double alphaCumprod = schedule.alphaCumprod(ts[step]);
        return x0.mul((float) Math.sqrt(alphaCumprod)).add(epsilon.mul((float) Math.sqrt(1 - alphaCumprod)));
    }

    /** The timestep after step i of {@code ts}: the next one in the sequence, or −1 after the last. */
    static int previousTimestep(int[] ts, int i) {
        return i + 1 < ts.length ? ts[i + 1] : -1;
    }

    /** Applies the options' x₀ post-processing: dynamic thresholding, else clipping, else nothing. */
    static NDArray processPredictedX0(NDArray x0, SamplerOptions o) {
        if (o.thresholding()) {
            return dynamicThreshold(x0, o.dynamicThresholdingRatio(), o.sampleMaxValue());
        }
        if (o.clipSample()) {
            return x0.clip(-o.clipSampleRange(), o.clipSampleRange());
        }
        return x0;
    }

    /**
     * Dynamic thresholding (Saharia et al. 2022, Sec. 2.3), as diffusers' {@code _threshold_sample}: per sample,
     * s = quantile(|x₀|, ratio) (linear interpolation, as {@code torch.quantile}), clamped to [1, maxValue];
     * x₀ ← clamp(x₀, −s, s)/s.
     */
    static NDArray dynamicThreshold(NDArray x0, double ratio, double maxValue) {
        Shape shape = x0.getShape();
        int batch = Math.toIntExact(shape.get(0));
        int per = Math.toIntExact(shape.size() / batch);
        float[] v = x0.toType(DataType.FLOAT32, false).toFloatArray();
        float[] abs = new float[per];
        for (int b = 0; b < batch; b++) {
            int off = b * per;
            for (int i = 0; i < per; i++) {
                abs[i] = Math.abs(v[off + i]);
            }
            Arrays.sort(abs);
            double pos = ratio * (per - 1);
            int lo = (int) Math.floor(pos);
            int hi = Math.min(lo + 1, per - 1);
            double q = abs[lo] + (pos - lo) * (abs[hi] - abs[lo]);
            double s = Math.min(Math.max(q, 1), maxValue);
            for (int i = 0; i < per; i++) {
                double c = Math.min(Math.max(v[off + i], -s), s);
                v[off + i] = (float) (c / s);
            }
        }
        return x0.getManager().create(v, shape).toType(x0.getDataType(), false);
    }
}
