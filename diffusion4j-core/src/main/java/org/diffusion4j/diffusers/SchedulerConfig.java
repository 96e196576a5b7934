package org.diffusion4j.diffusers;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.diffusion4j.diffusion.PredictionType;
import org.diffusion4j.diffusion.VarianceType;
import org.diffusion4j.io.AtomicFiles;
import org.diffusion4j.io.JsonFields;
import org.diffusion4j.sampling.SamplerOptions;
import org.diffusion4j.schedule.BetaSchedule;
import org.diffusion4j.schedule.NoiseSchedule;
import org.diffusion4j.schedule.TimestepSpacing;

/**
 * A diffusers {@code scheduler_config.json} (DDPMScheduler, DDIMScheduler, DPMSolverMultistepScheduler,
 * EulerDiscreteScheduler): the training noise schedule plus the sampler defaults it carries. Immutable.
 *
 * <p>Reading is lenient about syntax (Python's {@code Infinity}/{@code -Infinity}/{@code NaN} literals, as
 * diffusers writes them) and strict about meaning: a value this toolkit does not implement is refused with the
 * file, the field and the accepted values; a missing field takes the class's diffusers default; fields that do
 * not change sampling (or that this toolkit does not know) are listed by {@link #ignoredKeys()}.
 * {@link #write(Path)} writes what diffusers' {@code save_config} writes: sorted keys, two-space indent.
 */
public final class SchedulerConfig {

    /** The diffusers version whose key set and defaults this class follows. */
    public static final String DIFFUSERS_VERSION = "0.31.0";

    public static final String DDPM = "DDPMScheduler";
    public static final String DDIM = "DDIMScheduler";
    public static final String DPM_SOLVER_MULTISTEP = "DPMSolverMultistepScheduler";
    public static final String EULER_DISCRETE = "EulerDiscreteScheduler";

    private final SchedulerConfigValues v;
    private final List<String> ignoredKeys;

    private SchedulerConfig(SchedulerConfigValues v, List<String> ignoredKeys) {
        this.v = v;
        this.ignoredKeys = List.copyOf(ignoredKeys);
    }

    // ---- reading ---------------------------------------------------------------------------------------------

    /** Reads and validates a {@code scheduler_config.json}. */
    public static SchedulerConfig read(Path file) throws IOException {
        return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
    }

    /** Parses config JSON; {@code source} names it in error messages (usually the file path). */
    public static SchedulerConfig parse(String json, String source) {
        return SchedulerConfigReader.read(JsonFields.parsePython(json, source));
    }

    // ---- construction ----------------------------------------------------------------------------------------

    /**
     * The DDPMScheduler config a model trained here ships: diffusers' defaults (fixed_small, clip_sample on,
     * leading spacing) around the given training schedule.
     */
    public static SchedulerConfig ddpmDefaults(BetaSchedule betaSchedule, int numTrainTimesteps, double betaStart,
            double betaEnd, PredictionType predictionType) {
        SchedulerConfigValues v = SchedulerConfigValues.defaults(DDPM);
        v.betaSchedule = Objects.requireNonNull(betaSchedule, "betaSchedule");
        v.numTrainTimesteps = numTrainTimesteps;
        v.betaStart = betaStart;
        v.betaEnd = betaEnd;
        v.predictionType = Objects.requireNonNull(predictionType, "predictionType");
        v.validate("ddpmDefaults");
        return new SchedulerConfig(v, List.of());
    }

    /** diffusers' DDPMScheduler defaults: linear β 1e-4 → 0.02 over T = 1000, ε-prediction. */
    public static SchedulerConfig ddpmDefaults() {
        return ddpmDefaults(BetaSchedule.LINEAR, 1000, 1e-4, 0.02, PredictionType.EPSILON);
    }

    static SchedulerConfig of(SchedulerConfigValues v, List<String> ignoredKeys) {
        return new SchedulerConfig(v, ignoredKeys);
    }

    /** A copy as another scheduler class (e.g. to write a DDIMScheduler config for the same schedule). */
    public SchedulerConfig withClassName(String className) {
        SchedulerConfigValues c = v.copy();
        c.className = SchedulerConfigReader.checkClassName(className, "withClassName");
        return new SchedulerConfig(c, List.of());
    }

    /** A copy with another variance_type (DDPMScheduler), e.g. for a model trained for σ² = β. */
    public SchedulerConfig withVarianceType(VarianceType varianceType) {
        SchedulerConfigValues c = v.copy();
        c.varianceType = Objects.requireNonNull(varianceType, "varianceType");
        return new SchedulerConfig(c, List.of());
    }

    /** A copy with clip_sample on or off (DDPM/DDIM: clamp x̂₀ to [−clip_sample_range, clip_sample_range]). */
    public SchedulerConfig withClipSample(boolean clipSample) {
        SchedulerConfigValues c = v.copy();
        c.clipSample = clipSample;
        return new SchedulerConfig(c, List.of());
    }

    // ---- what it means ---------------------------------------------------------------------------------------

    /** The training noise schedule: trained_betas or the named β schedule, rescaled to zero terminal SNR if asked. */
    public NoiseSchedule noiseSchedule() {
        NoiseSchedule s = v.trainedBetas != null
                ? NoiseSchedule.fromBetas(v.trainedBetas)
                : NoiseSchedule.of(v.betaSchedule, v.numTrainTimesteps, v.betaStart, v.betaEnd);
        return v.rescaleBetasZeroSnr ? s.rescaledToZeroTerminalSnr() : s;
    }

    /** Sampler options with this config's settings and {@code steps} steps. */
    public SamplerOptions samplerOptions(int steps) {
        return SamplerOptions.builder()
                .steps(steps)
                .spacing(v.timestepSpacing)
                .stepsOffset(v.stepsOffset)
                .clipSample(v.clipSample)
                .clipSampleRange(v.clipSampleRange)
                .thresholding(v.thresholding)
                .dynamicThresholdingRatio(v.dynamicThresholdingRatio)
                .sampleMaxValue(v.sampleMaxValue)
                .varianceType(v.varianceType == null ? VarianceType.FIXED_SMALL : v.varianceType)
                .setAlphaToOne(v.setAlphaToOne)
                .karrasSigmas(v.useKarrasSigmas)
                .sigmaMin(v.sigmaMin)
                .sigmaMax(v.sigmaMax)
                .interpolation(v.interpolation)
                .finalSigmaZero(v.finalSigmaZero)
                .solverOrder(v.solverOrder)
                .solverType(v.solverType)
                .lowerOrderFinal(v.lowerOrderFinal)
                .eulerAtFinal(v.eulerAtFinal)
                .lambdaMinClipped(v.lambdaMinClipped)
                .build();
    }

    /** The diffusers sampler this config belongs to, as a {@link Samplers} name candidate. */
    public String samplerName() {
        return switch (v.className) {
            case DDPM -> "ddpm";
            case DDIM -> "ddim";
            case DPM_SOLVER_MULTISTEP -> "dpm-solver++";
            case EULER_DISCRETE -> "euler";
            default -> throw new IllegalStateException(v.className);
        };
    }

    public String className() {
        return v.className;
    }

    public String diffusersVersion() {
        return v.diffusersVersion;
    }

    public int numTrainTimesteps() {
        return v.numTrainTimesteps;
    }

    public double betaStart() {
        return v.betaStart;
    }

    public double betaEnd() {
        return v.betaEnd;
    }

    public BetaSchedule betaSchedule() {
        return v.betaSchedule;
    }

    /** trained_betas, or null when the named schedule is used. */
    public double[] trainedBetas() {
        return v.trainedBetas == null ? null : v.trainedBetas.clone();
    }

    /** variance_type, or null where the class has none (DDIM, Euler) or it is null (DPM-Solver). */
    public VarianceType varianceType() {
        return v.varianceType;
    }

    public boolean clipSample() {
        return v.clipSample;
    }

    public double clipSampleRange() {
        return v.clipSampleRange;
    }

    /** What the model predicts; a denoiser wrapping the model should report it. */
    public PredictionType predictionType() {
        return v.predictionType;
    }

    public TimestepSpacing timestepSpacing() {
        return v.timestepSpacing;
    }

    public int stepsOffset() {
        return v.stepsOffset;
    }

    public boolean setAlphaToOne() {
        return v.setAlphaToOne;
    }

    public boolean rescaleBetasZeroSnr() {
        return v.rescaleBetasZeroSnr;
    }

    public boolean thresholding() {
        return v.thresholding;
    }

    /** Keys present in the file that do not affect sampling here (e.g. {@code tensor_format} of old configs). */
    public List<String> ignoredKeys() {
        return ignoredKeys;
    }

    // ---- writing ---------------------------------------------------------------------------------------------

    /** The config as diffusers' {@code to_json_string} writes it (sorted keys, indent 2, trailing newline). */
    public String toJson() {
        Map<String, Object> m = v.toMap();
        StringBuilder b = new StringBuilder("{\n");
        List<String> keys = new ArrayList<>(m.keySet());
        Collections.sort(keys);
        for (int i = 0; i < keys.size(); i++) {
            b.append("  ").append(PythonJson.string(keys.get(i))).append(": ");
            PythonJson.value(b, m.get(keys.get(i)), "  ");
            b.append(i + 1 < keys.size() ? ",\n" : "\n");
        }
        return b.append("}\n").toString();
    }

    /** Writes {@link #toJson()} atomically (temporary file, fsync, rename): a crash never leaves half a file. */
    public void write(Path file) throws IOException {
        AtomicFiles.writeString(file, toJson());
    }

    @Override
    public String toString() {
        return "SchedulerConfig" + v.toMap();
    }
}
