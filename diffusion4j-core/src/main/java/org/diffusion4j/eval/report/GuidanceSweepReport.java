package org.diffusion4j.eval.report;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.diffusion4j.eval.ClassAccuracy;
import org.diffusion4j.eval.report.QualityReport.Metric;
import org.diffusion4j.io.AtomicFiles;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The table, JSON and chart of a {@link GuidanceSweep}: {@value #MARKDOWN} (settings, one row per
 * guidance scale, the real-image anchors, the lowest FD and highest accuracy), {@value #JSON}, and
 * {@value #CHART}: FD (left axis) and class accuracy (right axis) against the guidance scale.
 */
public final class GuidanceSweepReport {

    public static final String MARKDOWN = "guidance.md";
    public static final String JSON = "guidance.json";
    public static final String CHART = "guidance.png";

    private GuidanceSweepReport() {}

    /** The markdown table alone: one row per guidance scale, then the real-image anchor row. */
    public static String table(GuidanceSweep sweep) {
        boolean is = sweep.metrics().contains(Metric.IS);
        boolean pr = sweep.metrics().contains(Metric.PR);
        StringBuilder b = new StringBuilder("| guidance w | FD | class accuracy |");
        StringBuilder rule = new StringBuilder("|---:|---:|---:|");
        if (is) {
            b.append(" IS |");
            rule.append("---:|");
        }
        if (pr) {
            b.append(" precision | recall |");
            rule.append("---:|---:|");
        }
        b.append(" sampling time (s) |\n");
        rule.append("---:|\n");
        b.append(rule);
        for (GuidanceSweep.Point p : sweep.points()) {
            QualityReport.Scores s = p.scores();
            b.append(String.format(Locale.ROOT, "| %s | %s | %s |", scaleText(p.guidanceScale()),
                    fmt("%.2f", s.fd()), accuracy(p.accuracy())));
            if (is) {
                b.append(' ').append(fmt("%.2f", s.isMean())).append(" ± ").append(fmt("%.2f", s.isStd())).append(" |");
            }
            if (pr) {
                b.append(' ').append(fmt("%.3f", s.precision())).append(" | ").append(fmt("%.3f", s.recall())).append(" |");
            }
            b.append(' ').append(fmt("%.1f", p.seconds())).append(" |\n");
        }
        sweep.anchor().ifPresent(a -> {
            b.append(String.format(Locale.ROOT, "| real images | %s | %s |", fmt("%.2f", a.fd()),
                    a.accuracy() == null ? "–" : accuracy(a.accuracy())));
            if (is) {
                b.append(" – |");
            }
            if (pr) {
                b.append(" – | – |");
            }
            b.append(" – |\n");
        });
        return b.toString();
    }

    private static String accuracy(ClassAccuracy.Result r) {
        return String.format(Locale.ROOT, "%.1f %% ± %.1f", 100 * r.accuracy(), 100 * r.standardError());
    }

    private static String fmt(String pattern, double v) {
        return Double.isNaN(v) ? "–" : String.format(Locale.ROOT, pattern, v);
    }

    /** One paragraph: where FD is lowest and accuracy highest, against the anchors. */
    public static String summary(GuidanceSweep sweep) {
        if (sweep.points().isEmpty()) {
            return "No guidance scale measured yet.";
        }
        GuidanceSweep.Point fd = sweep.lowestFd().orElseThrow();
        GuidanceSweep.Point acc = sweep.highestAccuracy().orElseThrow();
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "Lowest FD %.2f at w = %s; highest class accuracy %.1f %% at w = %s.",
                fd.scores().fd(), scaleText(fd.guidanceScale()), 100 * acc.accuracy().accuracy(), scaleText(acc.guidanceScale())));
        sweep.anchor().ifPresent(a -> {
            b.append(String.format(Locale.ROOT, " Real images: FD %.2f (%s)", a.fd(), a.fdDescription()));
            if (a.accuracy() != null) {
                b.append(String.format(Locale.ROOT, ", class accuracy %.1f %% (%s)", 100 * a.accuracy().accuracy(), a.accuracyDescription()));
            }
            b.append('.');
        });
        return b.toString();
    }

    /** A guidance scale as typed: 2, 0.5, 7.5. */
    public static String scaleText(double w) {
        return java.math.BigDecimal.valueOf(w).stripTrailingZeros().toPlainString();
    }

    /** The markdown page: settings, the table, the summary, the chart. */
    public static String markdown(GuidanceSweep sweep, String command) {
        StringBuilder b = new StringBuilder("# Classifier-free guidance: diversity versus fidelity\n\n");
        b.append("ε̃ = ε(x, t, ∅) + w · (ε(x, t, c) − ε(x, t, ∅)) (Ho & Salimans 2022; w as diffusers' `guidance_scale`: "
                + "w = 0 unconditional, w = 1 conditional only). Every row uses the same x_T and the same requested classes. "
                + "Class accuracy: the fraction of images the feature classifier assigns to the class they were generated for "
                + "(± binomial standard error).\n\n");
        sweep.settings().forEach((k, v) -> b.append("- ").append(k).append(": ").append(v).append('\n'));
        b.append('\n').append(table(sweep)).append('\n').append(summary(sweep)).append("\n\n");
        b.append("![FD and class accuracy versus guidance scale](").append(CHART).append(")\n\n");
        b.append("Made by `").append(command).append("`.\n");
        return b.toString();
    }

    /**
     * {@code {"settings": {...}, "metrics": [...], "points": [{"guidance_scale", "fd", "class_accuracy",
     * "class_accuracy_standard_error", "per_class_accuracy": [...], "images", "seconds", ...}], "real": {...}}}.
     */
    public static JsonObject toJson(GuidanceSweep sweep) {
        JsonObject o = new JsonObject();
        JsonObject s = new JsonObject();
        Gson gson = new Gson();
        sweep.settings().forEach((k, v) -> s.add(k, gson.toJsonTree(v)));
        o.add("settings", s);
        JsonArray m = new JsonArray();
        sweep.metrics().forEach(x -> m.add(x.key()));
        o.add("metrics", m);
        JsonArray points = new JsonArray();
        for (GuidanceSweep.Point p : sweep.points()) {
            JsonObject j = new JsonObject();
            j.addProperty("guidance_scale", p.guidanceScale());
            j.addProperty("images", p.scores().images());
            put(j, "fd", p.scores().fd());
            if (sweep.metrics().contains(Metric.IS)) {
                put(j, "is_mean", p.scores().isMean());
                put(j, "is_std", p.scores().isStd());
            }
            if (sweep.metrics().contains(Metric.PR)) {
                put(j, "precision", p.scores().precision());
                put(j, "recall", p.scores().recall());
            }
            accuracy(j, p.accuracy());
            j.addProperty("seconds", p.seconds());
            points.add(j);
        }
        o.add("points", points);
        sweep.anchor().ifPresent(a -> {
            JsonObject j = new JsonObject();
            put(j, "fd", a.fd());
            j.addProperty("fd_images", a.fdDescription());
            if (a.accuracy() != null) {
                accuracy(j, a.accuracy());
                j.addProperty("class_accuracy_images", a.accuracyDescription());
            }
            o.add("real", j);
        });
        return o;
    }

    /** {@code {"class_accuracy", "class_accuracy_standard_error", "images", "correct", "per_class_accuracy": [...]}}. */
    public static JsonObject accuracyJson(ClassAccuracy.Result r) {
        JsonObject j = new JsonObject();
        accuracy(j, r);
        j.addProperty("images", r.images());
        j.addProperty("correct", r.correct());
        return j;
    }

    private static void accuracy(JsonObject j, ClassAccuracy.Result r) {
        put(j, "class_accuracy", r.accuracy());
        put(j, "class_accuracy_standard_error", r.standardError());
        JsonArray per = new JsonArray();
        for (double v : ClassAccuracy.perClass(r)) {
            if (Double.isNaN(v)) {
                per.add((Number) null);
            } else {
                per.add(v);
            }
        }
        j.add("per_class_accuracy", per);
    }

    private static void put(JsonObject j, String key, double v) {
        if (Double.isFinite(v)) {
            j.addProperty(key, v);
        } else {
            j.add(key, com.google.gson.JsonNull.INSTANCE);
        }
    }

    /** FD (left axis) and class accuracy in % (right axis) against the guidance scale, with the real-image anchors dashed. */
    public static XYChart chart(GuidanceSweep sweep) {
        XYChart chart = new XYChartBuilder().width(900).height(560)
                .title("Classifier-free guidance: FD and class accuracy vs guidance scale w")
                .xAxisTitle("guidance scale w (0 = unconditional, 1 = conditional)").build();
        Styler st = chart.getStyler();
        st.setChartBackgroundColor(Color.WHITE);
        st.setLegendPosition(Styler.LegendPosition.OutsideS);
        st.setLegendLayout(Styler.LegendLayout.Horizontal);
        chart.getStyler().setYAxisGroupPosition(1, Styler.YAxisPosition.Right);
        chart.setYAxisGroupTitle(0, "Fréchet distance (lower is better)");
        chart.setYAxisGroupTitle(1, "class accuracy, % (higher is better)");
        chart.getStyler().setYAxisMin(1, 0.0);
        chart.getStyler().setYAxisMax(1, 100.0);
        chart.getStyler().setYAxisMin(0, 0.0);
        List<GuidanceSweep.Point> ps = sweep.points().stream()
                .sorted((a, b) -> Double.compare(a.guidanceScale(), b.guidanceScale())).toList();
        if (ps.isEmpty()) {
            return chart;
        }
        double[] w = ps.stream().mapToDouble(GuidanceSweep.Point::guidanceScale).toArray();
        XYSeries fd = chart.addSeries("FD", w, ps.stream().mapToDouble(p -> p.scores().fd()).toArray());
        fd.setMarker(SeriesMarkers.CIRCLE);
        fd.setLineColor(new Color(0x1f, 0x77, 0xb4));
        fd.setMarkerColor(new Color(0x1f, 0x77, 0xb4));
        XYSeries acc = chart.addSeries("class accuracy", w, ps.stream().mapToDouble(p -> 100 * p.accuracy().accuracy()).toArray());
        acc.setYAxisGroup(1);
        acc.setMarker(SeriesMarkers.SQUARE);
        acc.setLineColor(new Color(0xd6, 0x27, 0x28));
        acc.setMarkerColor(new Color(0xd6, 0x27, 0x28));
        double lo = w[0];
        double hi = w[w.length - 1];
        double[] span = hi > lo ? new double[] {lo, hi} : new double[] {lo - 0.5, lo + 0.5};
        sweep.anchor().ifPresent(a -> {
            if (Double.isFinite(a.fd())) {
                horizontal(chart, "FD of real images", span, a.fd(), 0, new Color(0x1f, 0x77, 0xb4));
            }
            if (a.accuracy() != null) {
                horizontal(chart, "accuracy on real images", span, 100 * a.accuracy().accuracy(), 1, new Color(0xd6, 0x27, 0x28));
            }
        });
        return chart;
    }

    private static void horizontal(XYChart chart, String name, double[] span, double y, int group, Color color) {
        XYSeries line = chart.addSeries(name, span, new double[] {y, y});
        line.setYAxisGroup(group);
        line.setMarker(SeriesMarkers.NONE);
        line.setLineColor(color);
        line.setLineStyle(new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f));
    }

    /** Writes {@value #MARKDOWN}, {@value #JSON} and (once a scale is measured) {@value #CHART} into {@code dir}, each atomically. */
    public static void write(Path dir, GuidanceSweep sweep, String command) throws IOException {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
        Files.createDirectories(dir);
        AtomicFiles.writeString(dir.resolve(MARKDOWN), markdown(sweep, command));
        AtomicFiles.writeString(dir.resolve(JSON), new GsonBuilder().setPrettyPrinting().serializeNulls().create().toJson(toJson(sweep)) + "\n");
        if (!sweep.points().isEmpty()) {
            AtomicFiles.write(dir.resolve(CHART), BitmapEncoder.getBitmapBytes(chart(sweep), BitmapEncoder.BitmapFormat.PNG));
        }
    }
}
