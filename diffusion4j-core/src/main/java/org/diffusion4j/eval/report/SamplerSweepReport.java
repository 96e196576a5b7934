package org.diffusion4j.eval.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.diffusion4j.io.AtomicFiles;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The tables and the chart of a {@link SamplerSweep}: markdown (with the verdict: which samplers
 * come within a tolerance of the reference FD at a small evaluation budget), CSV, and a PNG of FD
 * against network evaluations per image (log–log, one series per sampler, the reference and the
 * real-data floor as horizontal lines).
 */
public final class SamplerSweepReport {

    /** The verdict's evaluation budget (network evaluations per image). */
    public static final int FEW_EVALUATIONS = 20;
    /** The verdict's tolerance: FD at most (1 + this) × the reference FD. */
    public static final double TOLERANCE = 0.10;

    private SamplerSweepReport() {}

    /** A sampler's best cell within the budget, and whether it is within tolerance of the reference. */
    public record Verdict(String sampler, SamplerSweep.Result best, boolean withinTolerance) {}

    /** The reference result, if it has run. */
    public static Optional<SamplerSweep.Result> reference(SamplerSweep sweep) {
        return sweep.result(sweep.referenceCell());
    }

    /**
     * For every sampler with a finished cell of at most {@code maxEvaluations} evaluations (the
     * reference cell excluded): its lowest-FD such cell and whether FD ≤ (1 + tolerance) × reference.
     * Empty when the reference has not run.
     */
    public static List<Verdict> verdicts(SamplerSweep sweep, int maxEvaluations, double tolerance) {
        Optional<SamplerSweep.Result> ref = reference(sweep);
        if (ref.isEmpty()) {
            return List.of();
        }
        Map<String, SamplerSweep.Result> best = new LinkedHashMap<>();
        for (SamplerSweep.Result r : sweep.results()) {
            if (r.cell().equals(sweep.referenceCell()) || r.evaluations() > maxEvaluations) {
                continue;
            }
            best.merge(r.sampler(), r, (a, b) -> b.fd() < a.fd() ? b : a);
        }
        List<Verdict> out = new ArrayList<>();
        best.forEach((s, r) -> out.add(new Verdict(s, r, r.fd() <= (1 + tolerance) * ref.get().fd())));
        out.sort(Comparator.comparingDouble(v -> v.best().fd()));
        return out;
    }

    /** The results sorted by sampler (in order of first appearance in {@code samplerOrder}) then evaluations. */
    static List<SamplerSweep.Result> sorted(SamplerSweep sweep, List<String> samplerOrder) {
        List<SamplerSweep.Result> rs = new ArrayList<>(sweep.results());
        rs.sort(Comparator.comparingInt((SamplerSweep.Result r) -> {
            int i = samplerOrder.indexOf(r.sampler());
            return i < 0 ? Integer.MAX_VALUE : i;
        }).thenComparing(SamplerSweep.Result::sampler).thenComparingInt(SamplerSweep.Result::evaluations));
        return rs;
    }

    /**
     * The markdown page: settings, the table, the verdict, failed and pending cells.
     *
     * @param command the command line that made it (shown so the sweep can be repeated)
     */
    public static String markdown(SamplerSweep sweep, List<String> samplerOrder, List<SamplerSweep.Cell> pending, String command) {
        SamplerSweep.Settings s = sweep.settings();
        Optional<SamplerSweep.Result> ref = reference(sweep);
        StringBuilder b = new StringBuilder();
        b.append("# Samplers: quality versus cost\n\n");
        b.append(String.format(Locale.ROOT, "Model `%s` (sha256 of weights and scheduler `%s`), %d images from seed %d, "
                + "the same x_T and per-image noise streams for every cell. FD: %s.%n%n",
                s.model(), s.modelDigest().substring(0, Math.min(12, s.modelDigest().length())), s.images(), s.seed(), s.reference()));
        if (!Double.isNaN(sweep.floorFd())) {
            b.append(String.format(Locale.ROOT, "Floor: FD %.2f of %s (what a perfect model scores with %d images). "
                    + "Every FD here carries this finite-sample bias, which compresses the ratios to the reference; "
                    + "use a larger -n for final numbers.%n%n", sweep.floorFd(), sweep.floorDescription(), s.images()));
        }
        b.append("| sampler | steps | network evaluations / image | FD | FD / reference | sampling time (s) | image-evaluations / s |\n");
        b.append("|---|---:|---:|---:|---:|---:|---:|\n");
        for (SamplerSweep.Result r : sorted(sweep, samplerOrder)) {
            boolean isRef = r.cell().equals(sweep.referenceCell());
            b.append(String.format(Locale.ROOT, "| %s%s | %d | %d | %.2f | %s | %.1f | %.0f |%n", r.sampler(), isRef ? " (reference)" : "",
                    r.steps(), r.evaluations(), r.fd(), ref.map(x -> String.format(Locale.ROOT, "%.2f", r.fd() / x.fd())).orElse("–"),
                    r.seconds(), (double) r.evaluations() * s.images() / r.seconds()));
        }
        b.append('\n');
        b.append(verdictText(sweep)).append("\n\n");
        for (SamplerSweep.Failure f : sweep.failures()) {
            b.append(String.format(Locale.ROOT, "- not run: %s %d steps — %s%n", f.sampler(), f.steps(), f.error()));
        }
        if (!pending.isEmpty()) {
            b.append(String.format(Locale.ROOT, "- pending: %s — run the same command again to continue%n",
                    String.join(", ", pending.stream().map(SamplerSweep.Cell::toString).toList())));
        }
        if (!sweep.failures().isEmpty() || !pending.isEmpty()) {
            b.append('\n');
        }
        b.append("![FD versus network evaluations](samplers.png)\n\n");
        b.append("Made by `").append(command).append("`.\n");
        return b.toString();
    }

    /** The verdict in one paragraph. */
    public static String verdictText(SamplerSweep sweep) {
        Optional<SamplerSweep.Result> ref = reference(sweep);
        if (ref.isEmpty()) {
            return "Verdict: pending — the reference (" + sweep.referenceCell() + ") has not run yet.";
        }
        List<Verdict> vs = verdicts(sweep, FEW_EVALUATIONS, TOLERANCE);
        List<String> yes = new ArrayList<>();
        List<String> no = new ArrayList<>();
        for (Verdict v : vs) {
            String t = String.format(Locale.ROOT, "%s (FD %.2f at %d evaluations, %+.0f%%)", v.sampler(), v.best().fd(),
                    v.best().evaluations(), 100 * (v.best().fd() / ref.get().fd() - 1));
            (v.withinTolerance() ? yes : no).add(t);
        }
        return String.format(Locale.ROOT, "Verdict: within %.0f%% of the %d-step DDPM FD (%.2f) at ≤ %d network evaluations per image: %s.%s",
                100 * TOLERANCE, ref.get().steps(), ref.get().fd(), FEW_EVALUATIONS, yes.isEmpty() ? "none" : String.join(", ", yes),
                no.isEmpty() ? "" : " Not within: " + String.join(", ", no) + ".");
    }

    /** CSV with a header row; numbers in plain decimal. */
    public static String csv(SamplerSweep sweep, List<String> samplerOrder) {
        Optional<SamplerSweep.Result> ref = reference(sweep);
        StringBuilder b = new StringBuilder("sampler,steps,evaluations,images,seed,fd,fd_over_reference,seconds,image_evaluations_per_second,finished\n");
        SamplerSweep.Settings s = sweep.settings();
        for (SamplerSweep.Result r : sorted(sweep, samplerOrder)) {
            b.append(String.format(Locale.ROOT, "%s,%d,%d,%d,%d,%.6f,%s,%.3f,%.3f,%s%n", r.sampler(), r.steps(), r.evaluations(),
                    s.images(), s.seed(), r.fd(), ref.map(x -> String.format(Locale.ROOT, "%.6f", r.fd() / x.fd())).orElse(""),
                    r.seconds(), (double) r.evaluations() * s.images() / r.seconds(), r.finished()));
        }
        return b.toString();
    }

    /** FD against network evaluations per image, log–log, one series per sampler, reference and floor as lines. */
    public static XYChart chart(SamplerSweep sweep, List<String> samplerOrder) {
        XYChart chart = new XYChartBuilder().width(900).height(600)
                .title(String.format(Locale.ROOT, "FD vs network evaluations (%d images, seed %d)", sweep.settings().images(), sweep.settings().seed()))
                .xAxisTitle("network evaluations per image").yAxisTitle("Fréchet distance (FashionClassifier features)").build();
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setYAxisLogarithmic(true);
        chart.getStyler().setXAxisLogarithmicDecadeOnly(false);
        chart.getStyler().setYAxisLogarithmicDecadeOnly(false);
        chart.getStyler().setXAxisDecimalPattern("#,##0");
        chart.getStyler().setYAxisDecimalPattern("#,##0.#");
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        Map<String, List<SamplerSweep.Result>> bySampler = new LinkedHashMap<>();
        for (SamplerSweep.Result r : sorted(sweep, samplerOrder)) {
            if (!r.cell().equals(sweep.referenceCell())) {
                bySampler.computeIfAbsent(r.sampler(), k -> new ArrayList<>()).add(r);
            }
        }
        double minX = Double.MAX_VALUE, maxX = 0;
        for (SamplerSweep.Result r : sweep.results()) {
            minX = Math.min(minX, r.evaluations());
            maxX = Math.max(maxX, r.evaluations());
        }
        bySampler.forEach((name, rs) -> {
            double[] x = rs.stream().mapToDouble(SamplerSweep.Result::evaluations).toArray();
            double[] y = rs.stream().mapToDouble(SamplerSweep.Result::fd).toArray();
            chart.addSeries(name, x, y).setMarker(SeriesMarkers.CIRCLE);
        });
        if (sweep.results().isEmpty()) {
            return chart;
        }
        double[] span = {minX, Math.max(maxX, minX * 2)};
        reference(sweep).ifPresent(ref -> horizontal(chart, String.format(Locale.ROOT, "ddpm %d steps (reference)", ref.steps()),
                span, ref.fd(), Color.BLACK, new float[] {8f, 5f}));
        if (!Double.isNaN(sweep.floorFd()) && sweep.floorFd() > 0) {
            horizontal(chart, "real training images (floor)", span, sweep.floorFd(), Color.GRAY, new float[] {2f, 4f});
        }
        return chart;
    }

    private static void horizontal(XYChart chart, String name, double[] span, double y, Color color, float[] dash) {
        XYSeries line = chart.addSeries(name, span, new double[] {y, y});
        line.setMarker(SeriesMarkers.NONE);
        line.setLineColor(color);
        line.setLineStyle(new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, dash, 0f));
    }

    /**
     * Writes samplers.md, samplers.csv and (once a cell has finished) samplers.png into {@code dir},
     * each atomically (the JSON state is the sweep's).
     */
    public static void write(Path dir, SamplerSweep sweep, List<String> samplerOrder, List<SamplerSweep.Cell> pending, String command)
            throws IOException {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
        AtomicFiles.writeString(dir.resolve("samplers.md"), markdown(sweep, samplerOrder, pending, command));
        AtomicFiles.writeString(dir.resolve("samplers.csv"), csv(sweep, samplerOrder));
        if (sweep.results().isEmpty()) {
            return;
        }
        AtomicFiles.write(dir.resolve("samplers.png"), BitmapEncoder.getBitmapBytes(chart(sweep, samplerOrder), BitmapEncoder.BitmapFormat.PNG));
    }
}
