package org.diffusion4j.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.diffusion4j.data.Batch;
import org.diffusion4j.diffusers.ModelFolder;
import org.diffusion4j.diffusion.GaussianDiffusion;
import org.diffusion4j.diffusion.Losses;
import org.diffusion4j.diffusion.NoiseSource;
import org.diffusion4j.io.CheckpointException;

/**
 * Trains a noise predictor by Algorithm 1 of Ho et al. 2020: repeat { x₀ ~ data; t ~ U{0..T−1};
 * ε ~ N(0, I); x_t = √ᾱ_t x₀ + √(1−ᾱ_t) ε (Eq. 4); gradient step on ‖target − model(x_t, t)‖² }
 * with target ε, x₀ or v per {@link TrainConfig#predictionType()} and optional Min-SNR-γ weights
 * (Hang et al. 2023), computed by {@link GaussianDiffusion} and {@link Losses}. The step is AdamW with linear warm-up and global-norm clipping, followed by
 * an EMA update of the weights.
 *
 * <h2>Reproducibility</h2>
 * Step s is a pure function of (seed, s) and the state before it: the batch is the data's batch s,
 * t and ε are drawn in Java from {@link SplittableRandom}s seeded by (seed, s), and the engine's
 * generator (dropout) is re-seeded from (seed, s) before the forward pass. So the same seed gives
 * the same losses, and a run resumed from a checkpoint is bit-identical to an uninterrupted one.
 *
 * <h2>Numerical faults</h2>
 * A step whose loss or gradient norm is NaN or infinite is skipped: weights, moments and EMA are
 * untouched, the skip is counted and logged. After {@code max_consecutive_bad_steps} skips in a
 * row training stops with a {@link TrainingDivergedException}; no checkpoint is written then, so
 * the last good one stays the newest.
 *
 * <h2>Memory</h2>
 * Every step runs in its own sub-manager of the trainer's manager; only the parameters (the
 * model's), AdamW's moments and the EMA weights (the trainer's manager) outlive a step.
 */
public final class DiffusionTrainer {

    private static final long STREAM_TIMESTEPS = 1;
    private static final long STREAM_NOISE = 2;
    private static final long STREAM_DROPOUT = 3;
    private static final long STREAM_LABEL_DROPOUT = 4;

    private final TrainConfig config;
    private final TrainableModel model;
    private final TrainingData data;
    private final ModelFolder output;
    private final TrainListener listener;
    private final NDManager manager;
    private final Map<String, NDArray> parameters;
    private final AdamW optimizer;
    private final Ema ema;
    private final NoiseSource noise;
    private final GaussianDiffusion diffusion;

    private long step;
    private long skippedSteps;
    private long consecutiveBadSteps;
    private double elapsedBefore;
    private long lastCheckpointStep = -1;
    private Path lastCheckpoint;
    private volatile boolean stopRequested;
    private final long[] phaseNanos = new long[Phase.values().length];

    /** The parts of a step, timed separately (see {@link #phaseSeconds()}). */
    public enum Phase {
        /** batch, t, ε, x_t and target */
        DATA,
        /** the model's forward pass and the loss */
        FORWARD,
        /** back-propagation */
        BACKWARD,
        /** fetching gradients, their global norm and clipping */
        GRADIENTS,
        /** the AdamW update */
        OPTIMIZER,
        /** the EMA update */
        EMA,
        /** zeroing the gradients and closing the step's arrays */
        CLEANUP
    }

    /**
     * The outcome of one step.
     *
     * @param step the index of the step (its batch)
     * @param loss the loss (NaN or infinite when the step was skipped for it)
     * @param gradNorm the global gradient norm before clipping (NaN when not computed)
     * @param skipped whether the update was skipped
     * @param reason why it was skipped, or null
     */
    public record StepReport(long step, double loss, double gradNorm, boolean skipped, String reason) {}

    /**
     * The outcome of {@link #train}.
     *
     * @param firstStep the step the session started at
     * @param lastStep the step it stopped at (steps done)
     * @param finalLoss the smoothed loss at the end
     * @param imagesPerSecond the session's mean throughput
     * @param skippedSteps steps skipped in total
     * @param lastCheckpoint the newest checkpoint folder, or null
     */
    public record TrainResult(long firstStep, long lastStep, double finalLoss, double imagesPerSecond,
            long skippedSteps, Path lastCheckpoint) {}

    private DiffusionTrainer(Builder b) {
        this.config = b.config;
        this.model = b.model;
        this.data = b.data;
        this.output = b.output;
        this.listener = b.listener;
        this.parameters = Collections.unmodifiableMap(new LinkedHashMap<>(model.parameters()));
        if (parameters.isEmpty()) {
            throw new IllegalArgumentException("the model has no parameters to train");
        }
        this.manager = b.manager != null ? b.manager : parameters.values().iterator().next().getManager();
        this.diffusion = new GaussianDiffusion(config.noiseSchedule());
        this.noise = NoiseSource.seeded(streamSeed(config.seed(), STREAM_NOISE, 0));
        this.ema = new Ema(parameters, manager, config.emaDecay(), config.emaWarmup());
        this.optimizer = new AdamW(parameters, manager, config.adamBeta1(), config.adamBeta2(), config.adamEpsilon(),
                config.adamWeightDecay());
        for (NDArray p : parameters.values()) {
            p.setRequiresGradient(true);
        }
    }

    /**
     * A trainer for {@code model} on {@code data} with {@code config}. {@link Builder#build()}
     * checks that the data fits the model before anything is written.
     */
    public static Builder builder(TrainConfig config, TrainableModel model, TrainingData data) {
        return new Builder(config, model, data);
    }

    /** A seed for random stream {@code stream} at step {@code step}, well mixed (SplitMix64 finaliser). */
    static long streamSeed(long seed, long stream, long step) {
        return NoiseSource.splitMix64(seed * 0x9E3779B97F4A7C15L + stream * 0xD1B54A32D192ED03L + step * 0xC2B2AE3D27D4EB4FL);
    }

    /** The timesteps t ~ U{0..T−1} of the batch at {@code step}. */
    public long[] timestepsAt(long step, int batchSize) {
        SplittableRandom r = new SplittableRandom(streamSeed(config.seed(), STREAM_TIMESTEPS, step));
        long[] t = new long[batchSize];
        for (int i = 0; i < batchSize; i++) {
            t[i] = r.nextInt(diffusion.numTimesteps());
        }
        return t;
    }

    /**
     * The labels the network sees at {@code step}: each replaced by the null class with probability
     * {@code p_uncond} (Ho &amp; Salimans 2022, Algorithm 1), drawn from (seed, step) so resume is exact.
     * Returns {@code labels} itself when nothing is dropped.
     */
    public long[] conditioningLabels(long step, long[] labels) {
        long nullLabel = config.nullClassLabel();
        if (nullLabel < 0) {
            return labels;
        }
        SplittableRandom r = new SplittableRandom(streamSeed(config.seed(), STREAM_LABEL_DROPOUT, step));
        long[] out = labels.clone();
        for (int i = 0; i < out.length; i++) {
            if (r.nextDouble() < config.pUncond()) {
                out[i] = nullLabel;
            }
        }
        return out;
    }

    /**
     * The captions of data set images {@code indices} at {@code step}, each replaced by the empty prompt with
     * probability p_uncond (from the same seeded stream as label dropout), so one network also learns ε(x_t, t, "")
     * for classifier-free guidance.
     */
    public List<String> conditioningCaptions(long step, int[] indices) {
        SplittableRandom r = new SplittableRandom(streamSeed(config.seed(), STREAM_LABEL_DROPOUT, step));
        List<String> out = new java.util.ArrayList<>(indices.length);
        for (int i : indices) {
            out.add(r.nextDouble() < config.pUncond() ? "" : data.caption(i));
        }
        return out;
    }

    // ------------------------------------------------------------------ one step

    /** Runs the step with index {@link #step()} and advances it. */
    public StepReport trainStep() {
        long s = step;
        StepReport result;
        long t0;
        try (NDManager sub = manager.newSubManager()) {
            try {
                result = runStep(s, sub);
            } finally {
                t0 = System.nanoTime();
                for (NDArray p : parameters.values()) {
                    JniUtils.zeroGrad((PtNDArray) p);
                }
            }
        }
        phaseNanos[Phase.CLEANUP.ordinal()] += System.nanoTime() - t0;
        step++;
        if (result.skipped()) {
            skippedSteps++;
            consecutiveBadSteps++;
        } else {
            consecutiveBadSteps = 0;
        }
        return result;
    }

    /** Runs {@code work} and adds its wall time to {@code phase}'s share of the profile. */
    private <T> T timed(Phase phase, Supplier<T> work) {
        long t0 = System.nanoTime();
        try {
            return work.get();
        } finally {
            phaseNanos[phase.ordinal()] += System.nanoTime() - t0;
        }
    }

    private void timed(Phase phase, Runnable work) {
        timed(phase, () -> {
            work.run();
            return null;
        });
    }

    /** Seconds spent in each phase of the steps run by this trainer (a profile of where time goes). */
    public Map<Phase, Double> phaseSeconds() {
        Map<Phase, Double> out = new java.util.EnumMap<>(Phase.class);
        for (Phase p : Phase.values()) {
            out.put(p, phaseNanos[p.ordinal()] / 1e9);
        }
        return out;
    }

    /**
     * One step of Algorithm 1 of Ho et al. 2020: x₀ ~ q(x₀), t ~ U{0..T−1}, ε ~ N(0, I), and a gradient step
     * on ‖target − ε_θ(x_t, t)‖² with x_t = √ᾱ_t x₀ + √(1 − ᾱ_t) ε (Eq. 4); the target is ε, x₀ or v by the
     * prediction type, optionally Min-SNR weighted. Then the global-norm clip, AdamW and the EMA. A step whose
     * loss or gradient norm is not finite changes nothing and is reported as skipped.
     */
    private StepReport runStep(long s, NDManager sub) {
        Noised n = timed(Phase.DATA, () -> noised(s, sub));
        NDArray loss;
        double lossValue;
        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            loss = timed(Phase.FORWARD, () -> loss(s, n));
            lossValue = timed(Phase.BACKWARD, () -> {
                collector.backward(loss);
                return (double) loss.getFloat();
            });
        }
        if (!Double.isFinite(lossValue)) {
            return new StepReport(s, lossValue, Double.NaN, true, "loss is " + lossValue);
        }
        Map<String, NDArray> gradients = timed(Phase.GRADIENTS, () -> gradients(sub));
        double gradNorm = timed(Phase.GRADIENTS, () -> GradientClipping.globalNorm(gradients.values(), sub));
        if (!Double.isFinite(gradNorm)) {
            return new StepReport(s, lossValue, gradNorm, true, "gradient norm is " + gradNorm);
        }
        timed(Phase.GRADIENTS, () -> GradientClipping.clip(gradients.values(), gradNorm, config.maxGradNorm()));
        timed(Phase.OPTIMIZER, () -> optimizer.update(parameters, gradients, config.learningRateAt(s), sub));
        timed(Phase.EMA, () -> ema.update(parameters, sub));
        return new StepReport(s, lossValue, gradNorm, false, null);
    }

    /**
     * What the network sees at one step: x_t, t, the class labels (or null) and what it must predict; with hard negatives
     * the rows that have them and the swapped captions' context (else null).
     */
    private record Noised(NDArray xt, NDArray timesteps, NDArray labels, NDArray target, double[] weights,
            HardNegatives.Rows negatives, NDArray negativeContext) {}

    /** Lines 2–4 of Algorithm 1 for step {@code s}: the batch x₀, t, ε and x_t, each from its own seeded stream. */
    private Noised noised(long s, NDManager sub) {
        Batch batch = data.batchAt(sub, s);
        NDArray x0 = batch.images();
        List<String> captions = model.isTextConditional() ? conditioningCaptions(s, batch.indices()) : null;
        NDArray labels = model.isClassConditional() ? sub.create(conditioningLabels(s, batch.labels().toLongArray()))
                : captions != null ? model.textContext(captions, sub)
                : model.isImageConditional() ? model.imageCondition(x0, s, sub) : null;
        HardNegatives.Rows negatives = captions != null && config.hardNegativeWeight() > 0 ? HardNegatives.of(captions) : null;
        int b = Math.toIntExact(x0.getShape().get(0));
        long[] t = timestepsAt(s, b);
        int[] ti = Arrays.stream(t).mapToInt(Math::toIntExact).toArray();
        NDArray epsilon = noise.normal(sub, x0.getShape(), s);
        NDArray xt = diffusion.qSample(x0, ti, epsilon); // Eq. 4 of Ho et al. 2020
        NDArray target = diffusion.trainingTarget(config.predictionType(), x0, epsilon, ti);
        double[] weights = config.lossWeighting() == TrainConfig.LossWeighting.MIN_SNR
                ? diffusion.minSnrWeights(ti, config.snrGamma(), config.predictionType()) : null;
        return new Noised(xt, sub.create(t, new Shape(b)), labels, target, weights, negatives,
                negatives == null ? null : model.textContext(negatives.swapped(), sub));
    }

    /**
     * The training forward and the batch-mean loss (dropout seeded from the step, so a resume repeats it), plus the
     * {@link HardNegatives} term when {@code hard_negative_weight} &gt; 0.
     */
    private NDArray loss(long s, Noised n) {
        Engine.getInstance().setRandomSeed((int) streamSeed(config.seed(), STREAM_DROPOUT, s));
        model.setTraining(true);
        NDArray prediction = model.forward(n.xt(), n.timesteps(), n.labels());
        NDArray perSample = n.weights() == null ? Losses.lossSimple(prediction, n.target())
                : Losses.lossSimple(prediction, n.target(), n.weights());
        if (n.negatives() == null) {
            return perSample.mean();
        }
        long[] rows = n.negatives().rows();
        NDIndex at = HardNegatives.index(n.xt().getManager(), rows);
        NDArray negativePrediction = model.forward(n.xt().get(at), n.timesteps().get(at), n.negativeContext());
        NDArray rowTarget = n.target().get(at);
        NDArray negative = n.weights() == null ? Losses.lossSimple(negativePrediction, rowTarget)
                : Losses.lossSimple(negativePrediction, rowTarget, Arrays.stream(rows).mapToDouble(r -> n.weights()[(int) r]).toArray());
        return perSample.mean().add(HardNegatives.loss(perSample.get(at), negative,
                config.hardNegativeWeight(), config.hardNegativeBeta(), perSample.getShape().get(0)));
    }

    /** The parameters' gradients, moved into the step's manager. */
    private Map<String, NDArray> gradients(NDManager sub) {
        Map<String, NDArray> gradients = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
            NDArray g = e.getValue().getGradient();
            g.attach(sub);
            gradients.put(e.getKey(), g);
        }
        return gradients;
    }

    // ------------------------------------------------------------------ the loop

    /** Asks {@link #train} to stop after the current step (and save a checkpoint); thread-safe. */
    public void requestStop() {
        stopRequested = true;
    }

    /**
     * Trains until {@code untilStep} steps are done, {@code budget} has elapsed in this session, or
     * {@link #requestStop()} is called; checkpoints every {@code checkpoint_every} steps and at the
     * end when an output folder is set.
     *
     * @param untilStep the total step to reach (not a count for this session); Long.MAX_VALUE for none
     * @param budget this session's wall-time budget, or null for none
     * @throws TrainingDivergedException after {@code max_consecutive_bad_steps} skipped steps in a row
     * @throws IOException when a checkpoint or the metrics log cannot be written
     */
    public TrainResult train(long untilStep, Duration budget) throws IOException {
        if (untilStep == Long.MAX_VALUE && budget == null) {
            throw new IllegalArgumentException("give a step count or a time budget, or training never ends");
        }
        stopRequested = false;
        long firstStep = step;
        long sessionStart = System.nanoTime();
        long deadline = budget == null ? Long.MAX_VALUE : sessionStart + budget.toNanos();
        Throughput throughput = new Throughput(data.batchSize());
        double smoothedLoss = Double.NaN;
        double intervalLoss = 0;
        double intervalNorm = 0;
        int intervalCount = 0;
        MetricsLog log = output == null ? null : MetricsLog.open(output.root(), step);
        try {
            while (step < untilStep && System.nanoTime() < deadline && !stopRequested) {
                long t0 = System.nanoTime();
                StepReport r = trainStep();
                throughput.add(System.nanoTime() - t0);
                if (r.skipped()) {
                    String message = "step " + r.step() + " skipped: " + r.reason() + " (" + consecutiveBadSteps
                            + " in a row, " + skippedSteps + " in total); weights, moments and EMA unchanged";
                    listener.onMessage(message);
                    if (log != null) {
                        log.logSkip(r.step(), r.reason(), consecutiveBadSteps, skippedSteps);
                    }
                    if (consecutiveBadSteps >= config.maxConsecutiveBadSteps()) {
                        throw new TrainingDivergedException(divergedMessage(r));
                    }
                } else {
                    smoothedLoss = Double.isNaN(smoothedLoss) ? r.loss() : 0.98 * smoothedLoss + 0.02 * r.loss();
                    intervalLoss += r.loss();
                    intervalNorm += r.gradNorm();
                    intervalCount++;
                }
                if (step % config.logEvery() == 0 && intervalCount > 0) {
                    if (log != null) {
                        log.logTraining(step, intervalLoss / intervalCount, config.learningRateAt(r.step()),
                                intervalNorm / intervalCount, throughput.imagesPerSecond(), elapsedSeconds(sessionStart),
                                skippedSteps);
                    }
                    intervalLoss = 0;
                    intervalNorm = 0;
                    intervalCount = 0;
                }
                listener.onStep(new TrainProgress(step, untilStep == Long.MAX_VALUE ? -1 : untilStep, r.loss(),
                        smoothedLoss, throughput.imagesPerSecond(), eta(untilStep, deadline, throughput), skippedSteps));
                if (output != null && step % config.checkpointEvery() == 0) {
                    saveCheckpoint(sessionStart, log);
                }
            }
            if (output != null && lastCheckpointStep != step) {
                saveCheckpoint(sessionStart, log);
            }
        } finally {
            if (log != null) {
                log.close();
            }
        }
        elapsedBefore = elapsedSeconds(sessionStart);
        return new TrainResult(firstStep, step, smoothedLoss, throughput.sessionImagesPerSecond(), skippedSteps,
                lastCheckpoint);
    }

    private String divergedMessage(StepReport r) {
        String last = lastCheckpoint != null ? "the last good checkpoint " + lastCheckpoint + " (step "
                + lastCheckpointStep + ") is intact" : "no checkpoint was written in this session";
        return "training stopped at step " + step + ": " + consecutiveBadSteps + " consecutive steps had a non-finite "
                + "loss or gradient (last: " + r.reason() + "); those steps left weights, moments and EMA unchanged and "
                + last + ". Lower learning_rate (now " + config.learningRate() + ") or max_grad_norm (now "
                + config.maxGradNorm() + "), or check the data for NaN/Inf pixels";
    }

    private Duration eta(long untilStep, long deadline, Throughput throughput) {
        double perStep = throughput.secondsPerStep();
        if (Double.isNaN(perStep)) {
            return null;
        }
        double bySteps = untilStep == Long.MAX_VALUE ? Double.POSITIVE_INFINITY : (untilStep - step) * perStep;
        double byTime = deadline == Long.MAX_VALUE ? Double.POSITIVE_INFINITY
                : Math.max(0, (deadline - System.nanoTime()) / 1e9);
        double s = Math.min(bySteps, byTime);
        return Double.isInfinite(s) ? null : Duration.ofMillis((long) (s * 1000));
    }

    private double elapsedSeconds(long sessionStart) {
        return elapsedBefore + (System.nanoTime() - sessionStart) / 1e9;
    }

    // ------------------------------------------------------------------ checkpoints

    /** Saves a checkpoint of the current state into the output folder (see {@link ModelFolder}). */
    public Path saveCheckpoint() throws IOException {
        return saveCheckpoint(System.nanoTime(), null);
    }

    private Path saveCheckpoint(long sessionStart, MetricsLog log) throws IOException {
        if (output == null) {
            throw new IllegalStateException("no output folder was set for this trainer");
        }
        TrainingCheckpoint.State state = new TrainingCheckpoint.State(step, optimizer.updates(), ema.updates(),
                config.seed(), skippedSteps, consecutiveBadSteps, elapsedSeconds(sessionStart));
        Path dir = Checkpointing.of(output).write(step,
                d -> TrainingCheckpoint.write(d, state, config, parameters, ema, optimizer));
        model.writeWeights(output, ema.weights());
        output.writeSchedulerConfig(config.schedulerConfigJson());
        model.writePipeline(output, data.classNames());
        lastCheckpointStep = step;
        lastCheckpoint = dir;
        // Housekeeping: a failure here loses nothing, so it is reported and training goes on.
        try {
            Checkpointing.of(output).prune(config.keepLast());
        } catch (IOException | RuntimeException e) {
            listener.onMessage("warning: could not delete old checkpoints in " + output.trainingDir() + ": " + e);
        }
        if (log != null) {
            try {
                LossCurve.write(output.root().resolve(LossCurve.FILE_NAME), log.points(), "training loss, " + data.name());
            } catch (IOException | RuntimeException | LinkageError | java.awt.AWTError e) { // e.g. no fonts on a headless JDK
                listener.onMessage("warning: could not draw " + LossCurve.FILE_NAME + ": " + e);
            }
        }
        listener.onCheckpoint(step, dir);
        return dir;
    }

    /**
     * Continues from the newest good checkpoint in the output folder: parameters, AdamW moments and
     * count, EMA weights and count, step and counters. Damaged checkpoints (missing manifest,
     * mismatching hash) are skipped with a message to the listener.
     *
     * @return false when there is no usable checkpoint (nothing changes)
     * @throws CheckpointException when the checkpoint belongs to a different model or run
     */
    public boolean resume() throws IOException {
        if (output == null) {
            throw new IllegalStateException("no output folder was set for this trainer");
        }
        Optional<Checkpointing.Checkpoint> found = Checkpointing.of(output).newestGood(listener::onMessage);
        if (found.isEmpty()) {
            return false;
        }
        Path dir = found.get().dir();
        TrainingCheckpoint.Contents c = TrainingCheckpoint.read(dir);
        if (!c.config().model().equals(config.model())) {
            throw new CheckpointException(dir + ": the checkpoint was trained with a different model config; resume "
                    + "with the config stored in " + dir.resolve(TrainingCheckpoint.CONFIG) + " or start a new run folder");
        }
        if (!c.config().equals(config)) {
            listener.onMessage("resuming " + dir + " with a changed training config; the run will not be identical to "
                    + "an uninterrupted one");
        }
        try {
            TensorMaps.copyInto(parameters, c.parameters(), dir.resolve(TrainingCheckpoint.MODEL).toString());
            ema.restore(c.state().emaUpdates(), c.emaWeights());
            optimizer.restore(c.state().optimizerUpdates(), c.firstMoments(), c.secondMoments());
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(dir + ": " + e.getMessage(), e);
        }
        step = c.state().step();
        skippedSteps = c.state().skippedSteps();
        consecutiveBadSteps = c.state().consecutiveBadSteps();
        elapsedBefore = c.state().elapsedSeconds();
        lastCheckpointStep = step;
        lastCheckpoint = dir;
        listener.onMessage("resumed from " + dir + " at step " + step);
        return true;
    }

    /**
     * The training config stored in the newest good checkpoint of {@code folder}, for resuming a
     * run with exactly its settings; empty when the folder has no usable checkpoint.
     */
    public static Optional<TrainConfig> checkpointConfig(ModelFolder folder, Consumer<String> warnings)
            throws IOException {
        Optional<Checkpointing.Checkpoint> found = Checkpointing.of(folder).newestGood(warnings);
        return found.isEmpty() ? Optional.empty() : Optional.of(TrainingCheckpoint.readConfig(found.get().dir()));
    }

    // ------------------------------------------------------------------ state

    /** Steps done (including skipped ones); the index of the next step. */
    public long step() {
        return step;
    }

    public long skippedSteps() {
        return skippedSteps;
    }

    public long consecutiveBadSteps() {
        return consecutiveBadSteps;
    }

    public TrainConfig config() {
        return config;
    }

    public TrainableModel model() {
        return model;
    }

    /** The trained parameters by name (live arrays). */
    public Map<String, NDArray> parameters() {
        return parameters;
    }

    public AdamW optimizer() {
        return optimizer;
    }

    public Ema ema() {
        return ema;
    }

    /** The output folder, or null. */
    public ModelFolder output() {
        return output;
    }

    /** Steps per second and images per second over a sliding window of recent steps. */
    private static final class Throughput {
        private final int batchSize;
        private final long[] window = new long[20];
        private int count;
        private long total;
        private long sessionNanos;
        private long sessionSteps;

        Throughput(int batchSize) {
            this.batchSize = batchSize;
        }

        void add(long nanos) {
            total += nanos - window[count % window.length];
            window[count % window.length] = nanos;
            count++;
            sessionNanos += nanos;
            sessionSteps++;
        }

        double secondsPerStep() {
            int n = Math.min(count, window.length);
            return n == 0 ? Double.NaN : total / 1e9 / n;
        }

        double imagesPerSecond() {
            double s = secondsPerStep();
            return Double.isNaN(s) ? 0 : batchSize / s;
        }

        double sessionImagesPerSecond() {
            return sessionNanos == 0 ? 0 : sessionSteps * (double) batchSize / (sessionNanos / 1e9);
        }
    }

    /** Options of a trainer; {@link #build()} validates the data against the config. */
    public static final class Builder {
        private final TrainConfig config;
        private final TrainableModel model;
        private final TrainingData data;
        private ModelFolder output;
        private TrainListener listener = TrainListener.NONE;
        private NDManager manager;

        private Builder(TrainConfig config, TrainableModel model, TrainingData data) {
            this.config = config;
            this.model = model;
            this.data = data;
        }

        /** Where checkpoints, the exported model and the metrics go (none by default). */
        public Builder optOutput(ModelFolder output) {
            this.output = output;
            return this;
        }

        public Builder optListener(TrainListener listener) {
            this.listener = listener;
            return this;
        }

        /** The manager that owns moments and EMA weights (default: the manager of the model's parameters). */
        public Builder optManager(NDManager manager) {
            this.manager = manager;
            return this;
        }

        /**
         * Validates and builds; nothing is written.
         *
         * @throws IllegalArgumentException when the data does not fit the model or the config
         */
        public DiffusionTrainer build() {
            config.checkData(data.name(), data.channels(), data.height(), data.width(), data.numClasses());
            if (data.batchSize() != config.batchSize()) {
                throw new IllegalArgumentException("data " + data.name() + " makes batches of " + data.batchSize()
                        + " but the config's batch_size is " + config.batchSize());
            }
            return new DiffusionTrainer(this);
        }
    }
}
