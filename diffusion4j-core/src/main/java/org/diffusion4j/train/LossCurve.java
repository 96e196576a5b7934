package org.diffusion4j.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.diffusion4j.io.AtomicFiles;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** The loss curve of a run as a PNG: the logged losses and their exponential moving average. */
public final class LossCurve {

    /** The file name in the run folder. */
    public static final String FILE_NAME = "loss.png";

    private LossCurve() {}

    /**
     * Exponentially smoothed values: s_0 = x_0, s_i = (1 − α) s_{i−1} + α x_i, with α = 2/(span + 1).
     */
    public static double[] smooth(double[] values, int span) {
        double alpha = 2.0 / (Math.max(1, span) + 1);
        double[] s = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            s[i] = i == 0 ? values[0] : (1 - alpha) * s[i - 1] + alpha * values[i];
        }
        return s;
    }

    /** Renders the points to a PNG and writes it atomically; does nothing with fewer than 2 points. */
    public static void write(Path png, List<MetricsLog.Point> points, String title) throws IOException {
        if (points.size() < 2) {
            return;
        }
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
        double[] x = new double[points.size()];
        double[] y = new double[points.size()];
        for (int i = 0; i < x.length; i++) {
            x[i] = points.get(i).step();
            y[i] = points.get(i).loss();
        }
        XYChart chart = new XYChartBuilder().width(900).height(500).title(title).xAxisTitle("step").yAxisTitle("loss").build();
        chart.getStyler().setYAxisLogarithmic(true);
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideNE);
        XYSeries raw = chart.addSeries("loss", x, y);
        raw.setMarker(SeriesMarkers.NONE);
        raw.setLineColor(new java.awt.Color(160, 190, 230));
        XYSeries smoothed = chart.addSeries("EMA-smoothed", x, smooth(y, Math.max(5, x.length / 20)));
        smoothed.setMarker(SeriesMarkers.NONE);
        smoothed.setLineColor(new java.awt.Color(20, 60, 160));
        byte[] bytes = BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
        AtomicFiles.write(png, bytes);
    }
}
