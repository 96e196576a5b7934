package org.diffusion4j.cli;

import java.io.IOException;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.diffusion4j.spark.ExecutorFailure;
import org.diffusion4j.spark.ParquetOutput;
import org.diffusion4j.spark.Request;
import org.diffusion4j.spark.SparkSampling;
import org.diffusion4j.spark.SparkSettings;

/**
 * The only CLI class that touches Spark's API, loaded only by the {@code spark-*} commands once they know Spark
 * is on the class path (it is {@code provided}: the launcher adds it for these verbs, spark-submit brings its own).
 */
final class SparkRunner {

    private SparkRunner() {}

    /** Whether Spark's classes can be loaded. */
    static boolean sparkAvailable() {
        try {
            Class.forName("org.apache.spark.SparkContext", false, SparkRunner.class.getClassLoader());
            Class.forName("org.apache.spark.sql.SparkSession", false, SparkRunner.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /** Runs the job on {@code master} (null: spark-submit's, else local[*]); an executor's failure becomes an IOException. */
    static SparkSampling.Result run(String app, String master, SparkSettings settings, int partitions) throws IOException {
        return run(app, master, settings, null, partitions, null);
    }

    /**
     * Runs the job: the settings' n images, or the table {@code requests} (when not null); written as PNG files to the
     * settings' out-dir, or as the Parquet dataset {@code parquet} (when not null).
     */
    static SparkSampling.Result run(String app, String master, SparkSettings settings, List<Request> requests, int partitions,
            String parquet) throws IOException {
        SparkConf conf = new SparkConf().setAppName(app);
        if (master != null) {
            conf.setMaster(master);
        } else if (!conf.contains("spark.master")) {
            conf.setMaster("local[*]");
        }
        if (conf.get("spark.master").startsWith("local")) {
            conf.setIfMissing("spark.ui.enabled", "false");
        }
        SparkSession spark = SparkSession.builder().config(conf).getOrCreate();
        try {
            JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
            if (parquet != null) {
                return requests == null ? ParquetOutput.write(spark, settings, partitions, parquet)
                        : ParquetOutput.write(spark, settings, requests, partitions, parquet);
            }
            return requests == null ? SparkSampling.run(sc, settings, partitions) : SparkSampling.run(sc, settings, requests, partitions);
        } catch (ExecutorFailure e) {
            throw new IOException(e.getMessage());
        } finally {
            spark.stop();
        }
    }

    /** The master the job ran on. */
    static String masterOf(String master) {
        return master != null ? master : new SparkConf().get("spark.master", "local[*]");
    }
}
