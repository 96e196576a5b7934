package org.diffusion4j.cli;

import java.nio.file.Path;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Option;

/** The options {@code spark-sample} and {@code spark-eval} share: where Spark runs and what the job makes. */
final class SparkJobOptions {

    @Option(names = "--master", paramLabel = "URL",
            description = "Spark master: local[N] (N task threads in this process), local[*], spark://HOST:PORT, yarn, … "
                    + "(default: spark-submit's, else local[*]).")
    String master;

    @Option(names = "--partitions", defaultValue = "0", paramLabel = "P",
            description = "Partitions the batches are spread over (default: Spark's default parallelism; at most one per batch).")
    int partitions;

    @Option(names = "--model", paramLabel = "DIR",
            description = "Model folder (diffusers layout), at a path every executor can read. Default: <repo>/" + ModelLoading.DEFAULT_MODEL + ".")
    Path model;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--batch", defaultValue = "64", paramLabel = "B",
            description = "Images per network call and per unit of work (default: ${DEFAULT-VALUE}); the same --batch as 'sample' gives the same floats.")
    int batch;

    @Option(names = "--out-dir", paramLabel = "DIR",
            description = "Write each image as DIR/sample_00000.png, … (shared storage on a cluster).")
    Path outDir;

    private static final Pattern LOCAL = Pattern.compile("local\\[\\s*(\\d+|\\*)\\s*(,\\s*\\d+\\s*)?\\]");

    /**
     * In {@code local[N]} the N tasks share this JVM's libtorch: give each task cores/N intra-op threads, so that
     * N tasks at a time do not oversubscribe the cores. Must run before the engine starts; an explicit
     * {@code D4J_THREADS} still sets the total.
     */
    void shareThreadsAmongLocalTasks() {
        if (master == null) {
            return;
        }
        Matcher m = LOCAL.matcher(master.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            return;
        }
        int cores = Runtime.getRuntime().availableProcessors();
        int tasks = m.group(1).equals("*") ? cores : Math.max(1, Integer.parseInt(m.group(1)));
        int threads = Integer.getInteger("ai.djl.pytorch.num_threads", cores);
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(Math.max(1, threads / tasks)));
    }
}
