package org.diffusion4j.eval.report;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.diffusion4j.eval.FeatureExtractor;
import org.diffusion4j.eval.GaussianStats;
import org.diffusion4j.io.AtomicFiles;
import org.diffusion4j.sampling.Sampler;

/**
 * Quality versus cost of samplers: for each (sampler, steps) cell, the same N images from the same
 * seeds, their Fréchet distance to reference statistics, the network evaluations per image and the
 * wall time. The 1000-step (T-step) ancestral DDPM of Ho et al. 2020 is the reference cell.
 *
 * <p>A sweep is resumable: its state is a JSON file, rewritten atomically after every cell; a new
 * run with the same {@link Settings} skips the finished cells. Cells run cheapest first (by network
 * evaluations per image), so a time budget cut leaves the expensive ones pending, not the cheap.
 */
public final class SamplerSweep {

    /** One cell of the sweep. */
    public record Cell(String sampler, int steps) {
        @Override
        public String toString() {
            return sampler + " " + steps + " steps";
        }
    }

    /** A finished cell; {@code seconds} is the sampling wall time of all images. */
    public record Result(String sampler, int steps, int evaluations, double fd, double seconds, String finished) {
        public Cell cell() {
            return new Cell(sampler, steps);
        }
    }

    /** A cell that could not run (e.g. a sampler refusing that step count). */
    public record Failure(String sampler, int steps, String error) {}

    /**
     * What makes two runs the same sweep: the model (a digest of its weights and scheduler), the
     * images (count and seed), the reference statistics and the reference cell's steps.
     */
    public record Settings(String model, String modelDigest, int images, long seed, String reference, int referenceSteps) {
        public Settings {
            Objects.requireNonNull(model, "the settings lack \"model\"");
            Objects.requireNonNull(modelDigest, "the settings lack \"modelDigest\"");
            Objects.requireNonNull(reference, "the settings lack \"reference\"");
        }

        /** Whether results made under {@code other} can be reused here (the model path may differ). */
        public boolean sameSweep(Settings other) {
            return modelDigest.equals(other.modelDigest) && images == other.images && seed == other.seed
                    && reference.equals(other.reference) && referenceSteps == other.referenceSteps;
        }
    }

    /** Makes the sampler of a cell (may throw IllegalArgumentException for an impossible cell). */
    @FunctionalInterface
    public interface SamplerFactory {
        Sampler create(Cell cell);
    }

    /** Generates the sweep's N images with a sampler: float32 [N, C, H, W] in [−1, 1], in {@code manager}. */
    @FunctionalInterface
    public interface Generator {
        NDArray generate(Sampler sampler, NDManager manager);
    }

    /** Progress of a run. */
    public interface Listener {
        /** Before a cell runs; {@code estimatedSeconds} is NaN before any rate is known. */
        default void starting(Cell cell, Sampler sampler, int index, int count, double estimatedSeconds) {}

        default void finished(Result result) {}

        default void failed(Failure failure) {}

        /** The cells left undone because the time budget would be exceeded. */
        default void outOfTime(List<Cell> pending) {}
    }

    private final Settings settings;
    private final List<Result> results = new ArrayList<>();
    private final List<Failure> failures = new ArrayList<>();
    private double floorFd = Double.NaN;
    private String floorDescription = "";

    public SamplerSweep(Settings settings) {
        this.settings = settings;
    }

    public Settings settings() {
        return settings;
    }

    /** The finished cells, in the order they finished. */
    public List<Result> results() {
        return List.copyOf(results);
    }

    public List<Failure> failures() {
        return List.copyOf(failures);
    }

    /** FD of N real images (the floor a perfect model reaches with N images), NaN when unknown. */
    public double floorFd() {
        return floorFd;
    }

    public String floorDescription() {
        return floorDescription;
    }

    public void setFloor(double fd, String description) {
        this.floorFd = fd;
        this.floorDescription = description;
    }

    /** The result of a cell, if it has run. */
    public Optional<Result> result(Cell cell) {
        return results.stream().filter(r -> r.cell().equals(cell)).findFirst();
    }

    /** The reference cell: ddpm at {@link Settings#referenceSteps()} steps. */
    public Cell referenceCell() {
        return new Cell("ddpm", settings.referenceSteps());
    }

    /** The cells of a sweep: every sampler × every step count, plus the reference cell (without duplicates). */
    public static List<Cell> plan(List<String> samplers, List<Integer> steps, int referenceSteps) {
        LinkedHashSet<Cell> cells = new LinkedHashSet<>();
        for (String s : samplers) {
            for (int n : steps) {
                cells.add(new Cell(s, n));
            }
        }
        if (referenceSteps > 0) {
            cells.add(new Cell("ddpm", referenceSteps));
        }
        return List.copyOf(cells);
    }

    /**
     * Runs the cells of {@code plan} that have no result yet, cheapest first, computing the FD of
     * each cell's images against {@code reference}; after every cell {@code checkpoint} is called
     * (to save the state). Stops before a cell whose estimated time would overrun
     * {@code budgetSeconds} (≤ 0: no budget). Returns the cells left pending.
     */
    public List<Cell> run(List<Cell> plan, SamplerFactory samplers, Generator generator, FeatureExtractor extractor,
            GaussianStats reference, NDManager manager, double budgetSeconds, Listener listener, Checkpoint checkpoint)
            throws IOException {
        record Planned(Cell cell, Sampler sampler) {}
        List<Planned> todo = new ArrayList<>();
        for (Cell c : plan) {
            if (result(c).isPresent()) {
                continue;
            }
            failures.removeIf(f -> f.sampler().equals(c.sampler()) && f.steps() == c.steps());
            try {
                todo.add(new Planned(c, samplers.create(c)));
            } catch (IllegalArgumentException e) {
                Failure f = new Failure(c.sampler(), c.steps(), e.getMessage());
                failures.add(f);
                listener.failed(f);
            }
        }
        todo.sort(Comparator.comparingInt((Planned p) -> p.sampler().evaluations()));
        long start = System.nanoTime();
        for (int i = 0; i < todo.size(); i++) {
            Planned p = todo.get(i);
            double estimate = estimateSeconds(p.sampler().evaluations());
            double elapsed = (System.nanoTime() - start) / 1e9;
            if (budgetSeconds > 0 && elapsed + (Double.isNaN(estimate) ? 0 : estimate) > budgetSeconds) {
                List<Cell> pending = todo.subList(i, todo.size()).stream().map(Planned::cell).toList();
                listener.outOfTime(pending);
                return pending;
            }
            listener.starting(p.cell(), p.sampler(), i, todo.size(), estimate);
            try (NDManager sub = manager.newSubManager()) {
                long t0 = System.nanoTime();
                NDArray images = generator.generate(p.sampler(), sub);
                double seconds = (System.nanoTime() - t0) / 1e9;
                double fd = QualityReport.score(extractor, images, reference, null, EnumSet.of(QualityReport.Metric.FD), 1, 1).fd();
                Result r = new Result(p.cell().sampler(), p.cell().steps(), p.sampler().evaluations(), fd, seconds,
                        Instant.now().toString());
                results.add(r);
                listener.finished(r);
            }
            checkpoint.save(this);
        }
        return List.of();
    }

    /** Called after every cell. */
    @FunctionalInterface
    public interface Checkpoint {
        void save(SamplerSweep sweep) throws IOException;
    }

    /**
     * Seconds a cell of {@code evaluations} per image would take, from the image-evaluations per
     * second of the finished cells (all of them pooled); NaN before any.
     */
    public double estimateSeconds(int evaluations) {
        double work = 0, seconds = 0;
        for (Result r : results) {
            work += (double) r.evaluations() * settings.images();
            seconds += r.seconds();
        }
        return seconds > 0 ? evaluations * (double) settings.images() * seconds / work : Double.NaN;
    }

    // ---------------------------------------------------------------- JSON

    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().create();

    /** The state as JSON: settings, floor, results, failures, and the pending cells of {@code plan}. */
    public JsonObject toJson(List<Cell> plan) {
        JsonObject o = new JsonObject();
        o.add("settings", GSON.toJsonTree(settings));
        JsonObject floor = new JsonObject();
        if (!Double.isNaN(floorFd)) {
            floor.addProperty("fd", floorFd);
        }
        floor.addProperty("description", floorDescription);
        o.add("floor", floor);
        o.add("results", GSON.toJsonTree(results));
        o.add("failures", GSON.toJsonTree(failures));
        JsonArray pending = new JsonArray();
        for (Cell c : plan) {
            if (result(c).isEmpty() && failures.stream().noneMatch(f -> f.sampler().equals(c.sampler()) && f.steps() == c.steps())) {
                pending.add(GSON.toJsonTree(c));
            }
        }
        o.add("pending", pending);
        return o;
    }

    /** Writes {@link #toJson} atomically. */
    public void save(Path file, List<Cell> plan) throws IOException {
        AtomicFiles.writeString(file, GSON.toJson(toJson(plan)) + "\n");
    }

    /** Reads a state file written by {@link #save}; a malformed file is refused with its name. */
    public static SamplerSweep load(Path file) throws IOException {
        try {
            JsonObject o = JsonParser.parseString(Files.readString(file)).getAsJsonObject();
            SamplerSweep s = new SamplerSweep(GSON.fromJson(o.get("settings"), Settings.class));
            JsonObject floor = o.getAsJsonObject("floor");
            if (floor != null) {
                JsonElement fd = floor.get("fd");
                s.setFloor(fd == null ? Double.NaN : fd.getAsDouble(), floor.has("description") ? floor.get("description").getAsString() : "");
            }
            for (JsonElement e : o.getAsJsonArray("results")) {
                Result r = GSON.fromJson(e, Result.class);
                if (r.sampler() == null || r.steps() < 1 || r.evaluations() < 1) {
                    throw new JsonParseException("result " + e + " lacks sampler, steps or evaluations");
                }
                s.results.add(r);
            }
            if (o.has("failures")) {
                for (JsonElement e : o.getAsJsonArray("failures")) {
                    s.failures.add(GSON.fromJson(e, Failure.class));
                }
            }
            return s;
        } catch (RuntimeException e) {
            // Gson reports a bad field as JsonParseException, IllegalStateException, or a RuntimeException
            // wrapping the record constructor's NullPointerException
            Throwable cause = e.getCause() != null && e.getMessage() != null && e.getMessage().startsWith("Failed to invoke") ? e.getCause() : e;
            throw new IOException(file + ": not a sampler-sweep state file (" + cause.getMessage()
                    + "); delete it or pass another output folder", e);
        }
    }
}
