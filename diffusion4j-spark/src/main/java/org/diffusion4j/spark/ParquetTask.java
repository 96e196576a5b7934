package org.diffusion4j.spark;

import com.google.gson.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Iterator;
import java.util.NoSuchElementException;
import javax.imageio.ImageIO;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.util.TaskCompletionListener;
import org.diffusion4j.io.ImageGrid;
import org.diffusion4j.pipeline.DiffusionPipeline;
import org.diffusion4j.pipeline.SampledImages;

/**
 * The work of one partition for the Parquet output: each slice sampled as {@link SampleTask} samples it, its images
 * handed to Spark's writer one {@link ParquetOutput#SCHEMA} row each, slice by slice (a partition never holds more
 * than one batch of images); the task's statistics go to a {@link StatsAccumulator}.
 */
final class ParquetTask implements FlatMapFunction<Iterator<Slice>, Row> {

    private static final long serialVersionUID = 1L;

    private final Broadcast<SparkSettings> settings;
    private final StatsAccumulator stats;
    private final SampleTask.Hook hook;

    ParquetTask(Broadcast<SparkSettings> settings, StatsAccumulator stats, SampleTask.Hook hook) {
        this.settings = settings;
        this.stats = stats;
        this.hook = hook;
    }

    @Override
    public Iterator<Row> call(Iterator<Slice> slices) {
        if (!slices.hasNext()) {
            return Collections.emptyIterator();
        }
        SparkSettings s = settings.value();
        SliceSampler sampler = new SliceSampler(s);
        TaskContext context = TaskContext.get();
        if (context != null) {
            context.addTaskCompletionListener((TaskCompletionListener) c -> sampler.close());
        }
        String json = settingsJson(s, sampler.pipeline());
        return new Iterator<>() {
            private final ArrayDeque<Row> rows = new ArrayDeque<>();
            private boolean done;

            @Override
            public boolean hasNext() {
                while (rows.isEmpty() && slices.hasNext()) {
                    Slice slice = slices.next();
                    SampledImages images = sampler.sample(slice);
                    add(s, slice, images, sampler.pipeline(), json, rows);
                    hook.afterSlice(slice, java.util.List.of());
                    sampler.score(images);
                }
                if (rows.isEmpty() && !done) {
                    done = true;
                    stats.add(sampler.stats);
                    sampler.close();
                }
                return !rows.isEmpty();
            }

            @Override
            public Row next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return rows.poll();
            }
        };
    }

    private static void add(SparkSettings s, Slice slice, SampledImages images, DiffusionPipeline pipe, String json, ArrayDeque<Row> out) {
        long seed = slice.seed() != null ? slice.seed() : s.seed();
        long[] labels = images.condition().labels();
        Double guidance = s.guidance() != null ? s.guidance() : pipe.defaultGuidance();
        String sampler = s.sampler() == null ? DiffusionPipeline.DEFAULT_SAMPLER : s.sampler();
        for (int j = 0; j < images.count(); j++) {
            Integer label = labels == null ? null : (int) labels[j];
            out.add(RowFactory.create(slice.first() + j, seed, images.prompts() == null ? null : images.prompts().get(j), label,
                    label == null ? null : pipe.classes().name(label), sampler, images.steps(), guidance, json,
                    png(images, j)));
        }
    }

    /** Image j as PNG bytes: what {@code ImageGrid.writeEach} writes to {@code sample_<index>.png}. */
    static byte[] png(SampledImages images, int j) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try {
            if (!ImageIO.write(ImageGrid.image(images.values(), images.shape(), j), "png", bytes)) {
                throw new IOException("no PNG writer available");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** Every setting of the run as one JSON object (the resolved sampler, steps and guidance included). */
    static String settingsJson(SparkSettings s, DiffusionPipeline pipe) {
        JsonObject o = new JsonObject();
        o.addProperty("model", s.model());
        String sampler = s.sampler() == null ? DiffusionPipeline.DEFAULT_SAMPLER : s.sampler();
        o.addProperty("sampler", sampler);
        o.addProperty("steps", DiffusionPipeline.steps(pipe.scheduler(), s.sampler(), s.steps()));
        Double guidance = s.guidance() != null ? s.guidance() : pipe.defaultGuidance();
        if (guidance != null) {
            o.addProperty("guidance", guidance);
        }
        if (s.eta() != null) {
            o.addProperty("eta", s.eta());
        }
        if (s.spacing() != null) {
            o.addProperty("spacing", s.spacing());
        }
        if (s.variance() != null) {
            o.addProperty("variance", s.variance());
        }
        if (s.clipSample() != null) {
            o.addProperty("clip_sample", s.clipSample());
        }
        if (s.karras() != null) {
            o.addProperty("karras", s.karras());
        }
        if (s.negativePrompt() != null) {
            o.addProperty("negative_prompt", s.negativePrompt());
        }
        o.addProperty("batch", s.batch());
        return o.toString();
    }
}
