package org.diffusion4j.spark;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.diffusion4j.eval.FeatureExtractor;
import org.diffusion4j.io.ImageGrid;
import org.diffusion4j.pipeline.EvalImages;
import org.diffusion4j.pipeline.SampledImages;

/**
 * The work of one partition, on an executor: load the model folder (and the feature classifier) once, then
 * for each {@link Slice} sample its images through {@code pipeline/} ({@link SliceSampler}) — images
 * [first, first + count) of the run, bit for bit those of the single-machine run — write them as PNGs (temporary file, then rename: a
 * retried task rewrites the same bytes), and add their features and class predictions to the partition's
 * sums (and a text model's shapes-analyzer counts). Returns one {@link PartitionStats}.
 */
final class SampleTask implements FlatMapFunction<Iterator<Slice>, PartitionStats> {

    private static final long serialVersionUID = 1L;

    /** What a test runs after each slice of a task (e.g. fail the first attempt half-way); production: nothing. */
    interface Hook extends java.io.Serializable {
        Hook NONE = (slice, files) -> {};

        void afterSlice(Slice slice, List<Path> files);
    }

    private final Broadcast<SparkSettings> settings;
    private final Hook hook;

    SampleTask(Broadcast<SparkSettings> settings, Hook hook) {
        this.settings = settings;
        this.hook = hook;
    }

    @Override
    public Iterator<PartitionStats> call(Iterator<Slice> slices) throws Exception {
        if (!slices.hasNext()) {
            return List.of(new PartitionStats()).iterator();
        }
        SparkSettings s = settings.value();
        try (SliceSampler sampler = new SliceSampler(s)) {
            while (slices.hasNext()) {
                Slice slice = slices.next();
                SampledImages images = sampler.sample(slice);
                long t0 = System.nanoTime();
                List<Path> files = s.outDir() == null ? List.of()
                        : ImageGrid.writeEach(Path.of(s.outDir()), SparkSampling.PREFIX, images.values(), images.shape(), slice.first());
                sampler.stats.files += files.size();
                sampler.stats.sampleSeconds += (System.nanoTime() - t0) / 1e9;
                hook.afterSlice(slice, files);
                sampler.score(images);
            }
            return List.of(sampler.stats).iterator();
        }
    }

    /**
     * Adds the features of the images, quantised as their PNGs are (the bytes {@code diffusion4j eval} scores),
     * to the partition's statistics, and their predicted classes to the confusion counts. One classifier call
     * per slice, the same batches as the single-machine reference at {@code batch} images per call.
     */
    static void score(FeatureExtractor classifier, SampledImages images, long[] labels, PartitionStats out, NDManager manager) {
        try (NDManager sub = manager.newSubManager()) {
            NDArray x = EvalImages.fromFloats(images.values(), "").toModelRange(sub);
            NDArray f = classifier.features(x);
            out.features.add(f.toType(DataType.FLOAT32, false).toFloatArray(), (int) f.getShape().get(0));
            if (labels != null) {
                long[] predicted = classifier.classProbabilities(x).argMax(1).toType(DataType.INT64, false).toLongArray();
                for (int i = 0; i < predicted.length; i++) {
                    out.confusion[(int) labels[i]][(int) predicted[i]]++;
                }
            }
        }
    }
}
