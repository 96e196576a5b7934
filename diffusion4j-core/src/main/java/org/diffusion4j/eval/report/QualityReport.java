package org.diffusion4j.eval.report;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.diffusion4j.eval.FeatureExtractor;
import org.diffusion4j.eval.FeatureStats;
import org.diffusion4j.eval.FrechetDistance;
import org.diffusion4j.eval.GaussianStats;
import org.diffusion4j.eval.InceptionScore;
import org.diffusion4j.eval.PrecisionRecall;

/**
 * A sample-quality report: the metrics of one image set next to the same metrics for anchors that
 * say what the numbers mean (real training images, the floor a perfect model reaches with the same
 * number of images; Gaussian noise images, the ceiling), as a text table and as JSON.
 *
 * <p>Metrics ({@link Metric}): the Fréchet distance d² to reference feature statistics (Heusel et
 * al. 2017, Eq. 6; "FID" when the features are Inception's), the Inception-Score analogue from the
 * classifier's posterior (Salimans et al. 2016), improved precision and recall (Kynkäänniemi et
 * al. 2019), and the variational bound on the NLL of real images in bits/dim (Eq. 5 of Ho et al.
 * 2020), which is a property of the model rather than of the samples. {@link #score} computes the
 * feature metrics; the NLL is computed by the caller ({@code diffusion.VariationalBound}) and passed
 * in through {@link Scores#withNll}.
 */
public final class QualityReport {

    /** A metric of {@code diffusion4j eval --metrics}. */
    public enum Metric {
        FD("fd"), IS("is"), PR("pr"), NLL("nll");

        private final String key;

        Metric(String key) {
            this.key = key;
        }

        /** The name on the command line and in JSON. */
        public String key() {
            return key;
        }

        /** Parses a comma-separated list such as {@code fd,is,pr,nll} (case-insensitive, order ignored). */
        public static Set<Metric> parse(String list) {
            EnumSet<Metric> out = EnumSet.noneOf(Metric.class);
            for (String part : list.split(",", -1)) {
                String p = part.trim().toLowerCase(Locale.ROOT);
                Metric m = null;
                for (Metric c : values()) {
                    if (c.key.equals(p)) {
                        m = c;
                    }
                }
                if (m == null) {
                    throw new IllegalArgumentException("unknown metric '" + part.trim() + "' in '" + list
                            + "'; use a comma-separated list of fd, is, pr, nll");
                }
                out.add(m);
            }
            return Collections.unmodifiableSet(out);
        }
    }

    /** The NLL bound of a set of real images: mean bits/dim, its standard error over images, and how many. */
    public record Nll(double bitsPerDim, double standardError, int images) {
        /** Mean and standard error (sample standard deviation / √n) of per-image values. */
        public static Nll of(double[] perImage) {
            int n = perImage.length;
            double mean = 0;
            for (double v : perImage) {
                mean += v;
            }
            mean /= n;
            double ss = 0;
            for (double v : perImage) {
                ss += (v - mean) * (v - mean);
            }
            double se = n > 1 ? Math.sqrt(ss / (n - 1) / n) : Double.NaN;
            return new Nll(mean, se, n);
        }
    }

    /** The scores of one image set; a metric not computed is NaN ({@code nll} null). */
    public record Scores(int images, double fd, double isMean, double isStd, double precision, double recall, Nll nll) {
        public Scores withNll(Nll value) {
            return new Scores(images, fd, isMean, isStd, precision, recall, value);
        }
    }

    /**
     * A column of the report.
     *
     * @param key short JSON name, e.g. {@code samples}, {@code train}, {@code noise}
     * @param title table heading
     * @param description what was scored, in words (for JSON readers)
     */
    public record Column(String key, String title, String description, Scores scores) {}

    private final Set<Metric> metrics;
    private final List<Column> columns;
    private final Map<String, Object> settings;
    private final Map<String, Double> seconds;

    /**
     * @param settings what was run, in print order (values: strings, numbers, booleans, lists)
     * @param seconds wall time of the parts, in print order
     */
    public QualityReport(Set<Metric> metrics, List<Column> columns, Map<String, Object> settings, Map<String, Double> seconds) {
        this.metrics = EnumSet.copyOf(metrics);
        this.columns = List.copyOf(columns);
        this.settings = Collections.unmodifiableMap(new LinkedHashMap<>(settings));
        this.seconds = Collections.unmodifiableMap(new LinkedHashMap<>(seconds));
    }

    /** Time per phase, in seconds, in the order measured. */
    public Map<String, Double> seconds() {
        return seconds;
    }

    public List<Column> columns() {
        return columns;
    }

    /** The column with this key. */
    public Column column(String key) {
        return columns.stream().filter(c -> c.key().equals(key)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no column '" + key + "'"));
    }

    /**
     * The feature metrics of {@code images} (N, C, H, W) in [−1, 1].
     *
     * @param reference statistics of the real data for FD
     * @param realFeatures (M, D) features of real images for precision/recall, or null without PR
     * @param isSplits Inception-Score splits, 1 ≤ splits ≤ N
     * @param k the precision/recall neighbourhood size
     */
    public static Scores score(FeatureExtractor extractor, NDArray images, GaussianStats reference, NDArray realFeatures,
            Set<Metric> metrics, int isSplits, int k) {
        int n = Math.toIntExact(images.getShape().get(0));
        double fd = Double.NaN, isMean = Double.NaN, isStd = Double.NaN, precision = Double.NaN, recall = Double.NaN;
        try (NDManager sub = images.getManager().newSubManager()) {
            if (metrics.contains(Metric.FD) || metrics.contains(Metric.PR)) {
                NDArray features = FeatureStats.features(extractor, images, FeatureStats.DEFAULT_BATCH);
                features.attach(sub);
                if (metrics.contains(Metric.FD)) {
                    fd = FrechetDistance.squared(reference, GaussianStats.of(features));
                }
                if (metrics.contains(Metric.PR)) {
                    if (realFeatures == null) {
                        throw new IllegalArgumentException("precision/recall need the features of real images");
                    }
                    PrecisionRecall.Result pr = PrecisionRecall.compute(realFeatures, features, k, PrecisionRecall.DEFAULT_CHUNK);
                    precision = pr.precision();
                    recall = pr.recall();
                }
            }
            if (metrics.contains(Metric.IS)) {
                NDArray p = FeatureStats.classProbabilities(extractor, images, FeatureStats.DEFAULT_BATCH);
                p.attach(sub);
                InceptionScore.Result is = InceptionScore.compute(p, isSplits);
                isMean = is.mean();
                isStd = is.std();
            }
        }
        return new Scores(n, fd, isMean, isStd, precision, recall, null);
    }

    // ---------------------------------------------------------------- text

    /** The table: one row per metric, one column per image set. */
    public String table() {
        List<String[]> rows = new ArrayList<>();
        String[] head = new String[columns.size() + 1];
        head[0] = "";
        for (int j = 0; j < columns.size(); j++) {
            head[j + 1] = columns.get(j).title();
        }
        rows.add(head);
        if (metrics.contains(Metric.FD)) {
            rows.add(row("FD (lower is better)", s -> fmt("%.2f", s.fd())));
        }
        if (metrics.contains(Metric.IS)) {
            rows.add(row("IS (higher is better)", s -> fmt("%.2f", s.isMean()) + " ± " + fmt("%.2f", s.isStd())));
        }
        if (metrics.contains(Metric.PR)) {
            rows.add(row("precision", s -> fmt("%.3f", s.precision())));
            rows.add(row("recall", s -> fmt("%.3f", s.recall())));
        }
        if (metrics.contains(Metric.NLL)) {
            rows.add(row("NLL bits/dim (lower is better)", s -> s.nll() == null ? "-"
                    : fmt("%.3f", s.nll().bitsPerDim()) + " ± " + fmt("%.3f", s.nll().standardError())));
        }
        int[] width = new int[head.length];
        for (String[] r : rows) {
            for (int j = 0; j < r.length; j++) {
                width[j] = Math.max(width[j], r[j].length());
            }
        }
        StringBuilder b = new StringBuilder();
        for (String[] r : rows) {
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-" + width[0] + "s", r[0]));
            for (int j = 1; j < r.length; j++) {
                line.append("   ").append(String.format(Locale.ROOT, "%" + width[j] + "s", r[j]));
            }
            b.append(line.toString().stripTrailing()).append('\n');
        }
        return b.toString();
    }

    private String[] row(String label, java.util.function.Function<Scores, String> cell) {
        String[] r = new String[columns.size() + 1];
        r[0] = label;
        for (int j = 0; j < columns.size(); j++) {
            r[j + 1] = cell.apply(columns.get(j).scores());
        }
        return r;
    }

    private static String fmt(String pattern, double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, pattern, v);
    }

    // ---------------------------------------------------------------- JSON

    /**
     * {@code {"metrics": [...], "settings": {...}, "columns": {"samples": {...}, ...}, "seconds": {...}}};
     * a column holds {@code images}, {@code title}, {@code description} and the requested metrics:
     * {@code fd}; {@code is_mean}, {@code is_std}; {@code precision}, {@code recall};
     * {@code nll_bits_per_dim}, {@code nll_standard_error}, {@code nll_images}.
     */
    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        JsonArray m = new JsonArray();
        metrics.forEach(x -> m.add(x.key()));
        o.add("metrics", m);
        JsonObject s = new JsonObject();
        settings.forEach((k, v) -> s.add(k, new com.google.gson.Gson().toJsonTree(v)));
        o.add("settings", s);
        JsonObject cols = new JsonObject();
        for (Column c : columns) {
            JsonObject j = new JsonObject();
            j.addProperty("title", c.title());
            j.addProperty("description", c.description());
            Scores sc = c.scores();
            j.addProperty("images", sc.images());
            if (metrics.contains(Metric.FD)) {
                number(j, "fd", sc.fd());
            }
            if (metrics.contains(Metric.IS)) {
                number(j, "is_mean", sc.isMean());
                number(j, "is_std", sc.isStd());
            }
            if (metrics.contains(Metric.PR)) {
                number(j, "precision", sc.precision());
                number(j, "recall", sc.recall());
            }
            if (metrics.contains(Metric.NLL) && sc.nll() != null) {
                number(j, "nll_bits_per_dim", sc.nll().bitsPerDim());
                number(j, "nll_standard_error", sc.nll().standardError());
                j.addProperty("nll_images", sc.nll().images());
            }
            cols.add(c.key(), j);
        }
        o.add("columns", cols);
        JsonObject t = new JsonObject();
        seconds.forEach(t::addProperty);
        o.add("seconds", t);
        return o;
    }

    /** A number, or JSON null for NaN (which JSON cannot hold). */
    private static void number(JsonObject o, String key, double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            o.add(key, com.google.gson.JsonNull.INSTANCE);
        } else {
            o.addProperty(key, v);
        }
    }
}
