package org.diffusion4j.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.function.IntToDoubleFunction;
import org.diffusion4j.schedule.NoiseSchedule;

/**
 * The Gaussian diffusion of Ho et al. 2020 as arithmetic on NDArrays: the forward process
 * q(x_t | x₀) and its one-step kernel, the posterior q(x_{t−1} | x_t, x₀), the model's reverse
 * kernel p_θ(x_{t−1} | x_t), training targets and the L_simple loss weights. The analogue of
 * improved-diffusion's {@code gaussian_diffusion.py}: a plain immutable object holding a double
 * {@link NoiseSchedule}; the model is passed in.
 *
 * <p>Conventions. Timesteps are 0-based indices into the schedule (index t is the paper's step
 * t+1, as in diffusers). Images are [N, …] with the batch first. Per-sample timesteps are an
 * {@code int[]} of length N (or an int64 NDArray, see {@link #timesteps(NDArray)}); the schedule
 * coefficients are gathered once in double and created as one [N,1,…,1] array in the data's dtype,
 * never by per-sample native calls. Results behave like those of a DJL op: they belong to the
 * manager of the first array operand (x₀, x_t or the model output) and join the caller's
 * {@link ai.djl.ndarray.NDScope}, if one is open; intermediates are freed before returning; inputs
 * are never closed. Variances are returned broadcastable to the data shape ([N,1,…,1] unless the
 * model learned them). Computations run in the inputs' dtype: pass float64 for likelihoods.
 */
public final class GaussianDiffusion {

    /** A Gaussian N(mean, variance I); {@code variance} and {@code logVariance} broadcast to {@code mean}. */
    public record MeanVariance(NDArray mean, NDArray variance, NDArray logVariance) {}

    /**
     * The model's reverse kernel p_θ(x_{t−1} | x_t) = N(mean, variance I) and the x₀ estimate its
     * mean was computed from (after clipping, if requested).
     */
    public record ModelMeanVariance(NDArray mean, NDArray variance, NDArray logVariance, NDArray predictedX0) {}

    private final NoiseSchedule schedule;

    public GaussianDiffusion(NoiseSchedule schedule) {
        this.schedule = schedule;
    }

    public NoiseSchedule schedule() {
        return schedule;
    }

    /** T, the number of diffusion steps. */
    public int numTimesteps() {
        return schedule.numTimesteps();
    }

    // ---- q(x_t | x₀) ----------------------------------------------------------------------------

    /**
     * Samples x_t ~ q(x_t | x₀) in closed form, x_t = √ᾱ_t x₀ + √(1−ᾱ_t) ε (Eq. 4 of Ho et al.
     * 2020), with one timestep per sample. diffusers' {@code add_noise}.
     */
    public NDArray qSample(NDArray x0, int[] t, NDArray noise) {
        checkSameShape(x0, noise, "noise");
        return Scoped.run(() -> {
            NDArray a = perSample(schedule::sqrtAlphaCumprod, t, x0);
            NDArray s = perSample(schedule::sqrtOneMinusAlphaCumprod, t, x0);
            return x0.mul(a).add(noise.mul(s));
        }, x0, noise);
    }

    /** {@link #qSample(NDArray, int[], NDArray)} with int64/int32 timesteps of shape [N]. */
    public NDArray qSample(NDArray x0, NDArray t, NDArray noise) {
        return qSample(x0, timesteps(t), noise);
    }

    /** q(x_t | x₀) = N(√ᾱ_t x₀, (1−ᾱ_t) I) (Eq. 4 of Ho et al. 2020). */
    public MeanVariance qMeanVariance(NDArray x0, int[] t) {
        NDArray[] r = Scoped.runAll(() -> new NDArray[] {
            x0.mul(perSample(schedule::sqrtAlphaCumprod, t, x0)),
            perSample(i -> 1 - schedule.alphaCumprod(i), t, x0),
            perSample(i -> Math.log(1 - schedule.alphaCumprod(i)), t, x0)
        }, x0);
        return new MeanVariance(r[0], r[1], r[2]);
    }

    /**
     * One step of the forward Markov chain, x_t = √(1−β_t) x_{t−1} + √β_t ε, a draw from
     * q(x_t | x_{t−1}) = N(√(1−β_t) x_{t−1}, β_t I) (Eq. 2 of Ho et al. 2020). Starting from x₀ and
     * applying t = 0, 1, …, k−1 gives a draw of x at index k−1.
     */
    public NDArray qStep(NDArray xPrev, int t, NDArray noise) {
        return qStep(xPrev, filled(t, xPrev), noise);
    }

    /** {@link #qStep(NDArray, int, NDArray)} with one timestep per sample. */
    public NDArray qStep(NDArray xPrev, int[] t, NDArray noise) {
        checkSameShape(xPrev, noise, "noise");
        return Scoped.run(() -> {
            NDArray a = perSample(i -> Math.sqrt(schedule.alpha(i)), t, xPrev);
            NDArray s = perSample(i -> Math.sqrt(schedule.beta(i)), t, xPrev);
            return xPrev.mul(a).add(noise.mul(s));
        }, xPrev, noise);
    }

    // ---- q(x_{t−1} | x_t, x₀) -------------------------------------------------------------------

    /**
     * The posterior q(x_{t−1} | x_t, x₀) = N(μ̃_t, β̃_t I) with μ̃_t = c₁ x₀ + c₂ x_t (Eq. 6–7 of
     * Ho et al. 2020). {@code variance} is β̃_t (0 at t = 0, where the posterior is x₀ itself);
     * {@code logVariance} is clipped at t = 0 to log β̃_1, as improved-diffusion does.
     */
    public MeanVariance qPosteriorMeanVariance(NDArray x0, NDArray xt, int[] t) {
        checkSameShape(x0, xt, "x_t");
        NDArray[] r = Scoped.runAll(() -> new NDArray[] {
            posteriorMean(x0, xt, t),
            perSample(schedule::posteriorVariance, t, x0),
            perSample(schedule::posteriorLogVarianceClipped, t, x0)
        }, x0, xt);
        return new MeanVariance(r[0], r[1], r[2]);
    }

    private NDArray posteriorMean(NDArray x0, NDArray xt, int[] t) {
        NDArray c1 = perSample(schedule::posteriorMeanCoef1, t, x0);
        NDArray c2 = perSample(schedule::posteriorMeanCoef2, t, x0);
        return x0.mul(c1).add(xt.mul(c2));
    }

    // ---- p_θ(x_{t−1} | x_t) ---------------------------------------------------------------------

    /**
     * The model's reverse kernel p_θ(x_{t−1} | x_t) (Eq. 1 of Ho et al. 2020) at one timestep for
     * the whole batch: calls the denoiser once, then
     * {@link #pMeanVariance(NDArray, PredictionType, NDArray, int[], boolean, VarianceType)}.
     * The denoiser's output (in x_t's manager) is left for the caller's scope to free.
     */
    public ModelMeanVariance pMeanVariance(Denoiser denoiser, NDArray xt, int t, boolean clipDenoised, VarianceType varianceType) {
        checkTimestep(t);
        NDArray modelOutput = denoiser.predict(xt, t);
        return pMeanVariance(modelOutput, denoiser.predictionType(), xt, filled(t, xt), clipDenoised, varianceType);
    }

    /**
     * p_θ(x_{t−1} | x_t) from a model output already computed: x̂₀ from the output (clamped to
     * [−1, 1] if {@code clipDenoised}), mean μ̃_t(x̂₀, x_t) (Eq. 7 of Ho et al. 2020, the
     * parameterisation of Eq. 11 for ε-models), variance per {@link VarianceType}. For learned
     * variances the output has 2C channels: the prediction, then the variance values.
     */
    public ModelMeanVariance pMeanVariance(NDArray modelOutput, PredictionType predictionType, NDArray xt, int[] t,
            boolean clipDenoised, VarianceType varianceType) {
        NDArray[] r = Scoped.runAll(() -> {
            NDArray prediction = modelOutput;
            NDArray variance;
            NDArray logVariance;
            if (!varianceType.isLearned() && !modelOutput.getShape().equals(xt.getShape())) {
                throw new IllegalArgumentException("the model output has shape " + modelOutput.getShape() + " but x_t has shape "
                        + xt.getShape() + (modelOutput.getShape().dimension() > 1 && modelOutput.getShape().get(1) == 2 * xt.getShape().get(1)
                        ? "; a model with 2C output channels learned its variance: use learned_range (or learned)" : "; they must match"));
            }
            if (varianceType.isLearned()) {
                long c = xt.getShape().get(1);
                if (modelOutput.getShape().dimension() < 2 || modelOutput.getShape().get(1) != 2 * c) {
                    throw new IllegalArgumentException("variance type " + varianceType.diffusersName()
                            + " needs the model to output 2C = " + 2 * c + " channels (the prediction, then the variance values), but it output "
                            + modelOutput.getShape() + "; use fixed_small or fixed_large for a model that predicts only "
                            + predictionType.diffusersName());
                }
                NDList parts = modelOutput.split(2, 1);
                prediction = parts.get(0);
                NDArray values = parts.get(1);
                if (varianceType == VarianceType.LEARNED) {
                    logVariance = values;
                } else {
                    // Eq. 15 of Nichol & Dhariwal 2021: interpolate log β̃_t and log β_t with frac = (v+1)/2.
                    NDArray minLog = perSample(schedule::posteriorLogVarianceClipped, t, xt);
                    NDArray maxLog = perSample(i -> Math.log(schedule.beta(i)), t, xt);
                    NDArray frac = Scalar.divide(values.add(1), 2);
                    logVariance = frac.mul(maxLog).add(frac.neg().add(1).mul(minLog));
                }
                variance = logVariance.exp();
            } else if (varianceType == VarianceType.FIXED_LARGE) {
                variance = perSample(this::fixedLargeVariance, t, xt);
                logVariance = perSample(i -> Math.log(fixedLargeVariance(i)), t, xt);
            } else {
                variance = perSample(schedule::posteriorVariance, t, xt);
                logVariance = perSample(schedule::posteriorLogVarianceClipped, t, xt);
            }
            NDArray a = perSample(schedule::sqrtAlphaCumprod, t, xt);
            NDArray s = perSample(schedule::sqrtOneMinusAlphaCumprod, t, xt);
            NDArray predictedX0 = predictionType.predictedX0(prediction, xt, a, s);
            if (clipDenoised) {
                predictedX0 = predictedX0.clip(-1, 1);
            }
            NDArray mean = posteriorMean(predictedX0, xt, t);
            return new NDArray[] {mean, variance, logVariance, predictedX0};
        }, modelOutput, xt);
        return new ModelMeanVariance(r[0], r[1], r[2], r[3]);
    }

    /**
     * One ancestral step x_{t−1} = μ_θ(x_t, t) + σ_t z (Algorithm 2 of Ho et al. 2020), with
     * σ_t = e^{½ log σ_t²} and no noise at t = 0, as improved-diffusion's {@code p_sample};
     * {@code noise} is z. The denoiser's output and p_θ's arrays are closed before returning.
     */
    public NDArray pSample(Denoiser denoiser, NDArray xt, int t, NDArray noise, boolean clipDenoised, VarianceType varianceType) {
        checkSameShape(xt, noise, "noise");
        checkTimestep(t);
        NDArray modelOutput = denoiser.predict(xt, t);
        ModelMeanVariance p = pMeanVariance(modelOutput, denoiser.predictionType(), xt, filled(t, xt), clipDenoised, varianceType);
        NDArray x = pSample(p, t, noise);
        for (NDArray a : new NDArray[] {modelOutput, p.mean(), p.variance(), p.logVariance(), p.predictedX0()}) {
            if (a != x && a != xt && a != noise) {
                a.close();
            }
        }
        return x;
    }

    /** {@link #pSample(Denoiser, NDArray, int, NDArray, boolean, VarianceType)} from a computed p_θ (at t = 0, its mean). */
    public NDArray pSample(ModelMeanVariance p, int t, NDArray noise) {
        if (t == 0) {
            return p.mean();
        }
        return Scoped.run(() -> p.mean().add(Scalar.times(p.logVariance(), 0.5).exp().mul(noise)), p.mean(), noise);
    }

    /**
     * The per-sample terms of the variational bound at per-sample timesteps, in bits per dimension,
     * given the model's output at x_t = qSample(x₀, t, ε) (improved-diffusion's
     * {@code _vb_terms_bpd}): L_{t−1} = KL(q(x_{t−1} | x_t, x₀) ‖ p_θ(x_{t−1} | x_t)) for t &gt; 0 and
     * the decoder L₀ = −log p_θ(x₀ | x_t) for t = 0 — discretised to 8-bit bins, or the continuous
     * density. Shape [N], in the inputs' dtype (float64 recommended). For the L_hybrid objective of
     * Nichol &amp; Dhariwal 2021 pass an output whose prediction channels are {@code stopGradient()}ed,
     * so that L_vlb trains only the variance.
     */
    public NDArray vbTermsBpd(NDArray modelOutput, PredictionType predictionType, NDArray x0, NDArray xt, int[] t,
            boolean clipDenoised, VarianceType varianceType, VariationalBound.Decoder decoder) {
        checkSameShape(x0, xt, "x_t");
        boolean anyZero = Arrays.stream(t).anyMatch(v -> v == 0);
        boolean allZero = Arrays.stream(t).allMatch(v -> v == 0);
        return Scoped.run(() -> {
            ModelMeanVariance p = pMeanVariance(modelOutput, predictionType, xt, t, clipDenoised, varianceType);
            NDArray decoderNll = null;
            if (anyZero) {
                NDArray logScales = Scalar.times(p.logVariance(), 0.5);
                NDArray ll = decoder == VariationalBound.Decoder.DISCRETIZED_8BIT
                        ? Losses.discretizedGaussianLogLikelihood(x0, p.mean(), logScales)
                        : Losses.gaussianLogLikelihood(x0, p.mean(), logScales);
                decoderNll = Scalar.divide(Losses.meanFlat(ll).neg(), Math.log(2));
                if (allZero) {
                    return decoderNll;
                }
            }
            MeanVariance q = qPosteriorMeanVariance(x0, xt, t);
            NDArray kl = Scalar.divide(
                    Losses.meanFlat(Losses.normalKl(q.mean(), q.logVariance(), p.mean(), p.logVariance())), Math.log(2));
            if (!anyZero) {
                return kl;
            }
            NDArray isZero = x0.getManager().create(Arrays.stream(t).map(v -> v == 0 ? 1 : 0).toArray()).toType(DataType.BOOLEAN, false);
            return NDArrays.where(isZero, decoderNll, kl);
        }, modelOutput, x0, xt);
    }

    /** β_t, but β̃_1 at t = 0 (improved-diffusion's fixed_large; see {@link VarianceType#FIXED_LARGE}). */
    private double fixedLargeVariance(int t) {
        return t == 0 && schedule.numTimesteps() > 1 ? schedule.posteriorVariance(1) : schedule.beta(t);
    }

    // ---- conversions and training targets -------------------------------------------------------

    /** x₀ from a model output with per-sample timesteps (coefficients from the double schedule). */
    public NDArray predictedX0(PredictionType predictionType, NDArray modelOutput, NDArray xt, int[] t) {
        return Scoped.run(() -> predictionType.predictedX0(modelOutput, xt,
                perSample(schedule::sqrtAlphaCumprod, t, xt), perSample(schedule::sqrtOneMinusAlphaCumprod, t, xt)), modelOutput, xt);
    }

    /** ε from a model output with per-sample timesteps. */
    public NDArray predictedEpsilon(PredictionType predictionType, NDArray modelOutput, NDArray xt, int[] t) {
        return Scoped.run(() -> predictionType.predictedEpsilon(modelOutput, xt,
                perSample(schedule::sqrtAlphaCumprod, t, xt), perSample(schedule::sqrtOneMinusAlphaCumprod, t, xt)), modelOutput, xt);
    }

    /**
     * The regression target of the given parameterisation for x_t = qSample(x₀, t, ε): ε (Eq. 14
     * of Ho et al. 2020), x₀, or v = √ᾱ_t ε − √(1−ᾱ_t) x₀ (Salimans &amp; Ho 2022).
     */
    public NDArray trainingTarget(PredictionType predictionType, NDArray x0, NDArray noise, int[] t) {
        checkSameShape(x0, noise, "noise");
        return Scoped.run(() -> predictionType.target(x0, noise,
                perSample(schedule::sqrtAlphaCumprod, t, x0), perSample(schedule::sqrtOneMinusAlphaCumprod, t, x0)), x0, noise);
    }

    /**
     * Min-SNR-γ loss weights (Hang et al. 2023) for L_simple in the given parameterisation, one per
     * sample: the x₀-space weight min(SNR_t, γ) divided by the factor that the parameterisation's
     * squared error carries relative to x₀'s — SNR_t for ε (so min(SNR_t, γ)/SNR_t, taken as 1 when
     * SNR_t ≤ γ, which also covers SNR = 0), SNR_t + 1 for v, 1 for x₀.
     */
    public double[] minSnrWeights(int[] t, double gamma, PredictionType predictionType) {
        if (!(gamma > 0)) {
            throw new IllegalArgumentException("Min-SNR γ must be positive (5 is the paper's choice), got " + gamma);
        }
        double[] w = new double[t.length];
        for (int i = 0; i < t.length; i++) {
            checkTimestep(t[i]);
            double snr = schedule.snr(t[i]);
            double clipped = Math.min(snr, gamma);
            w[i] = switch (predictionType) {
                case EPSILON -> snr <= gamma ? 1.0 : gamma / snr;
                case V_PREDICTION -> clipped / (snr + 1);
                case SAMPLE -> clipped;
            };
        }
        return w;
    }

    // ---- per-sample coefficients ----------------------------------------------------------------

    /** ᾱ_t per sample as an [N,1,…,1] array in {@code like}'s dtype and manager. */
    public NDArray alphasCumprod(int[] t, NDArray like) {
        return perSample(schedule::alphaCumprod, t, like);
    }

    /** SNR_t = ᾱ_t/(1−ᾱ_t) per sample, as a double array. */
    public double[] snr(int[] t) {
        double[] out = new double[t.length];
        for (int i = 0; i < t.length; i++) {
            checkTimestep(t[i]);
            out[i] = schedule.snr(t[i]);
        }
        return out;
    }

    /**
     * Per-sample values f(t_i) as one [N,1,…,1] array with {@code like}'s rank, dtype and manager,
     * built in Java from the double schedule and created with a single native call, e.g.
     * {@code perSample(schedule()::sigma, t, x)}.
     */
    public NDArray perSample(IntToDoubleFunction f, int[] t, NDArray like) {
        Shape shape = like.getShape();
        if (shape.dimension() < 1 || t.length != shape.get(0)) {
            throw new IllegalArgumentException("got " + t.length + " timesteps for a batch of shape " + shape
                    + "; pass one timestep per sample (the first axis is the batch)");
        }
        double[] values = new double[t.length];
        for (int i = 0; i < t.length; i++) {
            checkTimestep(t[i]);
            values[i] = f.applyAsDouble(t[i]);
        }
        return perSample(values, like);
    }

    /** The given per-sample values as an [N,1,…,1] array with {@code like}'s rank, dtype and manager. */
    public static NDArray perSample(double[] values, NDArray like) {
        long[] dims = new long[Math.max(1, like.getShape().dimension())];
        Arrays.fill(dims, 1);
        dims[0] = values.length;
        Shape shape = new Shape(dims);
        NDManager m = like.getManager();
        DataType dtype = like.getDataType();
        if (dtype == DataType.FLOAT64) {
            return m.create(values, shape);
        }
        float[] f = new float[values.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) values[i];
        }
        NDArray a = m.create(f, shape);
        if (dtype == DataType.FLOAT32 || !dtype.isFloating()) {
            return a;
        }
        NDArray cast = a.toType(dtype, false);
        a.close();
        return cast;
    }

    /** Timesteps from an integer NDArray of shape [N] (one native copy). */
    public static int[] timesteps(NDArray t) {
        DataType d = t.getDataType();
        if (d != DataType.INT64 && d != DataType.INT32) {
            throw new IllegalArgumentException("timesteps must be an int64 or int32 array of shape [N], got " + d + " " + t.getShape());
        }
        if (t.getShape().dimension() != 1) {
            throw new IllegalArgumentException("timesteps must have shape [N] (one per sample), got " + t.getShape());
        }
        long[] l = d == DataType.INT64 ? t.toLongArray() : Arrays.stream(t.toIntArray()).asLongStream().toArray();
        int[] out = new int[l.length];
        for (int i = 0; i < l.length; i++) {
            out[i] = (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, l[i]));
        }
        return out;
    }

    private int[] filled(int t, NDArray like) {
        checkTimestep(t);
        int[] a = new int[Math.toIntExact(like.getShape().get(0))];
        Arrays.fill(a, t);
        return a;
    }

    private void checkTimestep(int t) {
        if (t < 0 || t >= schedule.numTimesteps()) {
            throw new IllegalArgumentException("timestep " + t + " is outside [0, " + (schedule.numTimesteps() - 1) + "] of this "
                    + schedule.numTimesteps() + "-step schedule (timesteps are 0-based indices)");
        }
    }

    private static void checkSameShape(NDArray x, NDArray other, String what) {
        if (!x.getShape().equals(other.getShape())) {
            throw new IllegalArgumentException(what + " has shape " + other.getShape() + " but the data has shape " + x.getShape()
                    + "; they must match");
        }
    }
}
