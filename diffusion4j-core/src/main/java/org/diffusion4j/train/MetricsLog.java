package org.diffusion4j.train;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.diffusion4j.io.AtomicFiles;

/**
 * {@code metrics.jsonl}: one JSON object per line, appended as training runs. Lines of kind
 * {@code "train"} carry {@code step, loss, lr, grad_norm, images_per_sec, wall_time_s,
 * skipped_steps}; lines of kind {@code "skip"} record a skipped step and its reason. On resume
 * from step N the lines after N are dropped (they will be recomputed), so the log describes one
 * consistent run.
 */
public final class MetricsLog implements AutoCloseable {

    /** The file name in the run folder. */
    public static final String FILE_NAME = "metrics.jsonl";

    /** One logged training point, for the loss curve. */
    public record Point(long step, double loss) {}

    private final Path file;
    private final List<Point> points = new ArrayList<>();
    private BufferedWriter out;

    private MetricsLog(Path file) {
        this.file = file;
    }

    /**
     * Opens the log of a run folder for appending, first dropping every line whose step is above
     * {@code resumeStep} (use 0 for a fresh run, which empties the log).
     */
    public static MetricsLog open(Path runDir, long resumeStep) throws IOException {
        MetricsLog log = new MetricsLog(runDir.resolve(FILE_NAME));
        Files.createDirectories(runDir);
        StringBuilder kept = new StringBuilder();
        if (Files.exists(log.file)) {
            for (String line : Files.readAllLines(log.file, StandardCharsets.UTF_8)) {
                JsonObject o = parse(line);
                if (o == null || !o.has("step") || o.get("step").getAsLong() > resumeStep) {
                    continue;
                }
                kept.append(line).append('\n');
                if ("train".equals(kind(o)) && o.has("loss") && !o.get("loss").isJsonNull()) {
                    log.points.add(new Point(o.get("step").getAsLong(), o.get("loss").getAsDouble()));
                }
            }
        }
        AtomicFiles.writeString(log.file, kept.toString());
        log.out = Files.newBufferedWriter(log.file, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        return log;
    }

    private static JsonObject parse(String line) {
        try {
            JsonElement e = JsonParser.parseString(line);
            return e.isJsonObject() ? e.getAsJsonObject() : null;
        } catch (JsonParseException e) {
            return null; // a line torn by a crash
        }
    }

    private static String kind(JsonObject o) {
        return o.has("kind") ? o.get("kind").getAsString() : "";
    }

    /** Appends a {@code "train"} line. */
    public void logTraining(long step, double loss, double learningRate, double gradNorm, double imagesPerSecond,
            double wallTimeSeconds, long skippedSteps) throws IOException {
        JsonObject o = new JsonObject();
        o.addProperty("kind", "train");
        o.addProperty("step", step);
        number(o, "loss", loss);
        number(o, "lr", learningRate);
        number(o, "grad_norm", gradNorm);
        o.addProperty("images_per_sec", Math.round(imagesPerSecond * 10) / 10.0);
        o.addProperty("wall_time_s", Math.round(wallTimeSeconds * 1000) / 1000.0);
        o.addProperty("skipped_steps", skippedSteps);
        write(o);
        if (Double.isFinite(loss)) {
            points.add(new Point(step, loss));
        }
    }

    /** Appends a {@code "skip"} line for a step whose loss or gradient was not finite. */
    public void logSkip(long step, String reason, long consecutive, long skippedSteps) throws IOException {
        JsonObject o = new JsonObject();
        o.addProperty("kind", "skip");
        o.addProperty("step", step);
        o.addProperty("reason", reason);
        o.addProperty("consecutive", consecutive);
        o.addProperty("skipped_steps", skippedSteps);
        write(o);
    }

    /** JSON has no NaN or infinity: a non-finite value is written as null. */
    private static void number(JsonObject o, String key, double v) {
        if (Double.isFinite(v)) {
            o.addProperty(key, v);
        } else {
            o.add(key, com.google.gson.JsonNull.INSTANCE);
        }
    }

    private void write(JsonObject o) throws IOException {
        out.write(o.toString());
        out.write('\n');
        out.flush();
    }

    /** The logged (step, loss) points of this run so far, including those kept from before a resume. */
    public List<Point> points() {
        return List.copyOf(points);
    }

    public Path file() {
        return file;
    }

    @Override
    public void close() throws IOException {
        if (out != null) {
            out.close();
            out = null;
        }
    }
}
