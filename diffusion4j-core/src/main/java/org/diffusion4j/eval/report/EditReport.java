package org.diffusion4j.eval.report;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.diffusion4j.io.AtomicFiles;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** The editing evaluation's table ({@value #MARKDOWN}), rows ({@value #JSON}) and SDEdit's trade-off chart ({@value #CHART}). */
public final class EditReport {

    public static final String MARKDOWN = "edit-eval.md";
    public static final String JSON = "edit-eval.json";
    public static final String CHART = "sdedit.png";

    /**
     * One scored set of edits.
     *
     * @param name what made them
     * @param evaluations network evaluations per image
     * @param fd squared Fréchet distance to the real test statistics (realism; lower is better)
     * @param accuracy the classifier's accuracy for the class of the original
     * @param rms mean RMS distance to the edit's input in [−1, 1] units (faithfulness; lower is closer)
     * @param featureDistance mean L2 distance of the classifier features to the input's
     * @param keptDifference inpainting: the largest 8-bit difference in the kept region; −1 otherwise
     * @param seconds wall time of the edits
     */
    public record Row(String name, int evaluations, double fd, double accuracy, double rms, double featureDistance, int keptDifference,
            double seconds) implements Column.EditRow {}

    private EditReport() {}

    private static final List<Column<Row>> COLUMNS = Column.edits(List.of(
            new Column<>("FD ↓", "fd", Row::fd, "%.2f"),
            new Column<>("class accuracy ↑", "accuracy", Row::accuracy, "%.3f"),
            new Column<>("RMS to input", "rms", Row::rms, "%.3f"),
            new Column<>("feature distance to input", "feature_distance", Row::featureDistance, "%.2f")));

    /** A markdown table of {@code rows} under {@code title}. */
    public static String table(String title, List<Row> rows) {
        return Column.table(title, COLUMNS, Row::name, rows);
    }

    /** The rows as JSON objects. */
    public static JsonArray json(List<Row> rows) {
        return Column.json(COLUMNS, Row::name, rows);
    }

    /** SDEdit's realism–faithfulness trade-off (Meng et al. 2022, Fig. 4): FD against the RMS distance to the input, per strength. */
    public static XYChart chart(List<Row> sdEdit, Row real) {
        XYChart chart = new XYChartBuilder().width(800).height(520).title("SDEdit: realism vs faithfulness over strength")
                .xAxisTitle("RMS distance to the input (lower = more faithful)").yAxisTitle("FD to real test images (lower = more realistic)")
                .build();
        Styler st = chart.getStyler();
        st.setChartBackgroundColor(Color.WHITE);
        st.setLegendPosition(Styler.LegendPosition.OutsideS);
        chart.getStyler().setYAxisMin(0.0);
        XYSeries path = chart.addSeries("SDEdit", sdEdit.stream().mapToDouble(Row::rms).toArray(),
                sdEdit.stream().mapToDouble(Row::fd).toArray());
        path.setMarker(SeriesMarkers.NONE);
        for (Row r : sdEdit) { // one marker per strength, named in the legend
            chart.addSeries(r.name(), new double[] {r.rms()}, new double[] {r.fd()});
        }
        if (real != null) {
            double lo = sdEdit.stream().mapToDouble(Row::rms).min().orElse(0);
            double hi = sdEdit.stream().mapToDouble(Row::rms).max().orElse(1);
            XYSeries line = chart.addSeries("FD of as many real test images", new double[] {lo, hi}, new double[] {real.fd(), real.fd()});
            line.setMarker(SeriesMarkers.NONE);
        }
        return chart;
    }

    /** Writes the markdown, the JSON (the sections' rows) and, when there are SDEdit rows, the chart, each atomically. */
    public static void write(Path dir, String markdown, JsonObject json, List<Row> sdEdit, Row real) throws IOException {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
        Files.createDirectories(dir);
        AtomicFiles.writeString(dir.resolve(MARKDOWN), markdown);
        AtomicFiles.writeString(dir.resolve(JSON), new GsonBuilder().setPrettyPrinting().create().toJson(json) + "\n");
        if (!sdEdit.isEmpty()) {
            AtomicFiles.write(dir.resolve(CHART), BitmapEncoder.getBitmapBytes(chart(sdEdit, real), BitmapEncoder.BitmapFormat.PNG));
        }
    }
}
