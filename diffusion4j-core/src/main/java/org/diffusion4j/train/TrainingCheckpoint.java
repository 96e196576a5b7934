package org.diffusion4j.train;

import ai.djl.ndarray.NDArray;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.diffusion4j.diffusers.ModelFolder;
import org.diffusion4j.io.AtomicFiles;
import org.diffusion4j.io.CheckpointException;
import org.diffusion4j.io.SafeTensors;

/**
 * The files of one training checkpoint {@code training/step-N/}, all needed to continue a run
 * bit-identically:
 *
 * <ul>
 *   <li>{@code model.safetensors}: the raw (non-averaged) parameters, diffusers names;
 *   <li>{@code ema.safetensors}: the EMA weights;
 *   <li>{@code optimizer.safetensors}: AdamW's moments as {@code exp_avg.<name>} and
 *       {@code exp_avg_sq.<name>} (PyTorch's state names);
 *   <li>{@code state.json}: step, AdamW and EMA update counts, seed, skip counters, wall time;
 *   <li>{@code train_config.json}: the {@link TrainConfig};
 *   <li>{@code manifest.json}: written last by {@link Checkpointing#write}.
 * </ul>
 */
public final class TrainingCheckpoint {

    public static final String MODEL = "model.safetensors";
    public static final String EMA = "ema.safetensors";
    public static final String OPTIMIZER = "optimizer.safetensors";
    public static final String STATE = "state.json";
    public static final String CONFIG = "train_config.json";
    /** Every file a usable checkpoint's manifest must list. */
    public static final List<String> REQUIRED = List.of(MODEL, EMA, OPTIMIZER, STATE, CONFIG);
    /** The version of {@code state.json}. */
    public static final int STATE_VERSION = 1;

    private static final String FIRST_MOMENT = "exp_avg.";
    private static final String SECOND_MOMENT = "exp_avg_sq.";

    /**
     * The counters of {@code state.json}.
     *
     * @param step the global step: steps done, including skipped ones; the next batch is batch {@code step}
     * @param optimizerUpdates AdamW updates done (its bias-correction t)
     * @param emaUpdates EMA updates done (its warm-up n)
     * @param seed the run's seed
     * @param skippedSteps steps skipped for non-finite values so far
     * @param consecutiveBadSteps the current run of skipped steps
     * @param elapsedSeconds training wall time so far, over all sessions
     */
    public record State(long step, long optimizerUpdates, long emaUpdates, long seed, long skippedSteps,
            long consecutiveBadSteps, double elapsedSeconds) {

        String toJson() {
            JsonObject o = new JsonObject();
            o.addProperty("format_version", STATE_VERSION);
            o.addProperty("step", step);
            o.addProperty("optimizer_updates", optimizerUpdates);
            o.addProperty("ema_updates", emaUpdates);
            o.addProperty("seed", seed);
            o.addProperty("skipped_steps", skippedSteps);
            o.addProperty("consecutive_bad_steps", consecutiveBadSteps);
            o.addProperty("elapsed_seconds", elapsedSeconds);
            return new GsonBuilder().setPrettyPrinting().create().toJson(o) + "\n";
        }

        static State parse(Path file) throws IOException {
            try {
                JsonObject o = JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8)).getAsJsonObject();
                int version = o.get("format_version").getAsInt();
                if (version != STATE_VERSION) {
                    throw new CheckpointException(file + ": format_version " + version + " is not supported");
                }
                return new State(o.get("step").getAsLong(), o.get("optimizer_updates").getAsLong(),
                        o.get("ema_updates").getAsLong(), o.get("seed").getAsLong(), o.get("skipped_steps").getAsLong(),
                        o.get("consecutive_bad_steps").getAsLong(), o.get("elapsed_seconds").getAsDouble());
            } catch (RuntimeException e) {
                throw new CheckpointException(file + ": not a valid training state (" + e + ")", e);
            }
        }
    }

    /** What a checkpoint holds, read back into Java arrays. */
    public record Contents(State state, TrainConfig config, Map<String, float[]> parameters,
            Map<String, float[]> emaWeights, Map<String, float[]> firstMoments, Map<String, float[]> secondMoments) {}

    private TrainingCheckpoint() {}

    /**
     * Writes the checkpoint files into {@code dir}. Refuses (before writing anything) when a
     * parameter, EMA weight or moment is not finite.
     */
    static void write(Path dir, State state, TrainConfig config, Map<String, NDArray> parameters, Ema ema,
            AdamW optimizer) throws IOException {
        ModelFolder.requireFinite(parameters, dir.resolve(MODEL));
        ModelFolder.requireFinite(ema.weights(), dir.resolve(EMA));
        Map<String, NDArray> moments = new LinkedHashMap<>();
        optimizer.firstMoments().forEach((k, v) -> moments.put(FIRST_MOMENT + k, v));
        optimizer.secondMoments().forEach((k, v) -> moments.put(SECOND_MOMENT + k, v));
        ModelFolder.requireFinite(moments, dir.resolve(OPTIMIZER));
        Map<String, String> meta = Map.of("format", "pt", "step", Long.toString(state.step()));
        SafeTensors.write(dir.resolve(MODEL), parameters, meta);
        SafeTensors.write(dir.resolve(EMA), ema.weights(), meta);
        SafeTensors.write(dir.resolve(OPTIMIZER), moments, meta);
        AtomicFiles.writeString(dir.resolve(CONFIG), config.toJson());
        AtomicFiles.writeString(dir.resolve(STATE), state.toJson());
    }

    /** Reads the config stored in a checkpoint. */
    public static TrainConfig readConfig(Path dir) throws IOException {
        Path file = dir.resolve(CONFIG);
        try {
            return TrainConfig.load(file);
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(file + ": " + e.getMessage(), e);
        }
    }

    /** Reads every file of a (verified) checkpoint. */
    public static Contents read(Path dir) throws IOException {
        State state = State.parse(dir.resolve(STATE));
        TrainConfig config = readConfig(dir);
        Map<String, float[]> params = floats(SafeTensors.read(dir.resolve(MODEL)), "");
        Map<String, float[]> ema = floats(SafeTensors.read(dir.resolve(EMA)), "");
        SafeTensors opt = SafeTensors.read(dir.resolve(OPTIMIZER));
        return new Contents(state, config, params, ema, floats(opt, FIRST_MOMENT), floats(opt, SECOND_MOMENT));
    }

    private static Map<String, float[]> floats(SafeTensors st, String prefix) {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (String name : st.names()) {
            if (name.startsWith(prefix)) { // "exp_avg_sq.x" does not start with "exp_avg."
                out.put(name.substring(prefix.length()), st.floats(name));
            }
        }
        return out;
    }
}
