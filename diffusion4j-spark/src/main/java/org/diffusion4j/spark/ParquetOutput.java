package org.diffusion4j.spark;

import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The images as a Parquet dataset, written by Spark's DataFrameWriter (each task's file written under
 * {@code _temporary} and committed by rename; a retried task's file replaces its failed attempt's): one row per
 * image with its index, seed, prompt or class, the settings, and {@code png} — the same bytes as
 * {@code sample_<index>.png} of the PNG output.
 */
public final class ParquetOutput {

    /**
     * index, seed, prompt (text models), class and class_name (class models), sampler, steps, guidance (null for an
     * unconditional model), settings (every sampling setting as a JSON object), png.
     */
    public static final StructType SCHEMA = new StructType(new StructField[] {
        DataTypes.createStructField("index", DataTypes.IntegerType, false),
        DataTypes.createStructField("seed", DataTypes.LongType, false),
        DataTypes.createStructField("prompt", DataTypes.StringType, true),
        DataTypes.createStructField("class", DataTypes.IntegerType, true),
        DataTypes.createStructField("class_name", DataTypes.StringType, true),
        DataTypes.createStructField("sampler", DataTypes.StringType, false),
        DataTypes.createStructField("steps", DataTypes.IntegerType, false),
        DataTypes.createStructField("guidance", DataTypes.DoubleType, true),
        DataTypes.createStructField("settings", DataTypes.StringType, false),
        DataTypes.createStructField("png", DataTypes.BinaryType, false),
    });

    private ParquetOutput() {}

    /** Samples the n images of {@code settings} and writes them to the Parquet dataset {@code path} (which must not exist). */
    public static SparkSampling.Result write(SparkSession spark, SparkSettings settings, int partitions, String path) {
        return writeSlices(spark, settings, Slice.grid(settings.n(), settings.batch()), partitions, path);
    }

    /** Samples a table of requests ({@link Slice#ofRequests}) and writes them to the Parquet dataset {@code path}. */
    public static SparkSampling.Result write(SparkSession spark, SparkSettings settings, List<Request> requests, int partitions,
            String path) {
        return writeSlices(spark, settings.withN(requests.size()), Slice.ofRequests(requests, settings.seed(), settings.batch()), partitions,
                path);
    }

    static SparkSampling.Result writeSlices(SparkSession spark, SparkSettings settings, List<Slice> slices, int partitions, String path) {
        return writeSlices(spark, settings, slices, partitions, path, SampleTask.Hook.NONE);
    }

    static SparkSampling.Result writeSlices(SparkSession spark, SparkSettings settings, List<Slice> slices, int partitions, String path,
            SampleTask.Hook hook) {
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        int p = SparkSampling.partitions(sc, slices, partitions);
        StatsAccumulator stats = new StatsAccumulator();
        spark.sparkContext().register(stats, "diffusion4j partition stats");
        long t = System.nanoTime();
        Broadcast<SparkSettings> broadcast = sc.broadcast(settings.withOutDir(null));
        try {
            JavaRDD<Row> rows = sc.parallelize(slices, p).mapPartitions(new ParquetTask(broadcast, stats, hook));
            spark.createDataFrame(rows, SCHEMA).write().mode(SaveMode.ErrorIfExists).parquet(path);
        } catch (Exception e) { // Spark's SparkException is checked, though Scala does not declare it
            throw SparkSampling.executorFailure(e);
        } finally {
            broadcast.destroy();
        }
        double seconds = (System.nanoTime() - t) / 1e9;
        PartitionStats totals = stats.value();
        totals.files = totals.images;
        return new SparkSampling.Result(slices.size(), p, totals, null, null, Double.NaN, null, seconds, Double.NaN);
    }
}
