package org.diffusion4j.eval.report;

import org.diffusion4j.eval.GaussianStats;
import org.diffusion4j.eval.FeatureExtractor;
import org.diffusion4j.eval.ClassAccuracy;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.diffusion4j.eval.report.QualityReport.Metric;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The guidance sweep loop and its report, with a synthetic "classifier" whose prediction is the brightest of
 * four pixels and a generator whose images at scale w show the requested class for a known fraction of them.
 */
class GuidanceSweepTest {

    @TempDir
    Path dir;

    static final int N = 40;
    static final int CLASSES = 4;

    /** Features: the four pixels; class posteriors: a sharp softmax of them (the arg-max is the brightest pixel). */
    static final FeatureExtractor BRIGHTEST_PIXEL = new FeatureExtractor() {
        @Override
        public String name() {
            return "brightest-pixel";
        }

        @Override
        public int featureDim() {
            return CLASSES;
        }

        @Override
        public NDArray features(NDArray images) {
            return images.reshape(images.getShape().get(0), CLASSES);
        }

        @Override
        public boolean hasClassifier() {
            return true;
        }

        @Override
        public NDArray classProbabilities(NDArray images) {
            return features(images).mul(50f).softmax(1);
        }
    };

    /** Image i: small fixed noise, plus a bright pixel at its class for the first ⌊w/4 · N⌋ images and at the next class after. */
    static NDArray images(double w, long[] labels, NDManager m) {
        int correct = (int) Math.floor(Math.min(1, w / 4) * N);
        SplittableRandom r = new SplittableRandom(5);
        float[] v = new float[N * CLASSES];
        for (int i = 0; i < N; i++) {
            for (int p = 0; p < CLASSES; p++) {
                v[i * CLASSES + p] = (float) (0.1 * r.nextGaussian());
            }
            int bright = (int) (i < correct ? labels[i] : (labels[i] + 1) % CLASSES);
            v[i * CLASSES + bright] = 1f;
        }
        return m.create(v, new Shape(N, 1, 2, 2));
    }

    @Test
    void runScoresEveryScaleAndTheReportShowsThem() throws Exception {
        long[] labels = new long[N];
        for (int i = 0; i < N; i++) {
            labels[i] = i % CLASSES;
        }
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("model", "synthetic");
        settings.put("images", N);
        GuidanceSweep sweep = new GuidanceSweep(EnumSet.of(Metric.FD, Metric.IS), settings);
        List<Integer> checkpoints = new ArrayList<>();
        try (NDManager m = NDManager.newBaseManager()) {
            SplittableRandom r = new SplittableRandom(9);
            double[][] real = new double[200][CLASSES];
            for (double[] row : real) {
                for (int p = 0; p < CLASSES; p++) {
                    row[p] = 0.3 * r.nextGaussian();
                }
                row[r.nextInt(CLASSES)] = 1;
            }
            GaussianStats reference = GaussianStats.of(real);
            sweep.setAnchor(new GuidanceSweep.Anchor("200 synthetic real images", 0.5, "labelled real images",
                    ClassAccuracy.of(new long[] {0, 1, 2, 3, 0}, new long[] {0, 1, 2, 3, 1}, CLASSES)));
            GuidanceSweep.Scoring scoring = new GuidanceSweep.Scoring(BRIGHTEST_PIXEL, reference, null, 2, 3);
            sweep.run(List.of(0.0, 1.0, 2.0, 4.0), (w, mm) -> images(w, labels, mm), labels, scoring, m,
                    new GuidanceSweep.Listener() {}, s -> checkpoints.add(s.points().size()));
        }
        assertEquals(List.of(1, 2, 3, 4), checkpoints, "the report is rewritten after every scale");
        double[] expected = {0, 0.25, 0.5, 1};
        for (int i = 0; i < 4; i++) {
            GuidanceSweep.Point p = sweep.points().get(i);
            assertEquals(i == 3 ? 4.0 : i, p.guidanceScale());
            assertEquals(expected[i], p.accuracy().accuracy(), 1e-15, "w = " + p.guidanceScale());
            assertEquals(N, p.scores().images());
            assertTrue(Double.isFinite(p.scores().fd()) && p.scores().fd() >= 0, "FD " + p.scores().fd());
            assertTrue(Double.isFinite(p.scores().isMean()), "IS");
            assertTrue(Double.isNaN(p.scores().precision()), "PR was not asked for");
        }
        assertEquals(4.0, sweep.highestAccuracy().orElseThrow().guidanceScale());

        GuidanceSweepReport.write(dir, sweep, "diffusion4j eval --guidance 0,1,2,4");
        String md = Files.readString(dir.resolve(GuidanceSweepReport.MARKDOWN));
        assertTrue(md.contains("| guidance w | FD | class accuracy | IS | sampling time (s) |"), md);
        GuidanceSweep.Point two = sweep.points().get(2);
        assertTrue(md.contains(String.format(java.util.Locale.ROOT, "| 2 | %.2f | 50.0 %% ± 7.9 |", two.scores().fd())), md);
        assertTrue(md.contains("| 4 | ") && md.contains("| 100.0 % ± 0.0 |"), md);
        assertTrue(md.contains("| real images | 0.50 | 80.0 % ± 17.9 |"), md);
        assertTrue(md.contains("highest class accuracy 100.0 % at w = 4") && md.contains("- model: synthetic"), md);
        assertTrue(md.contains("Made by `diffusion4j eval --guidance 0,1,2,4`"), md);

        JsonObject json = JsonParser.parseString(Files.readString(dir.resolve(GuidanceSweepReport.JSON))).getAsJsonObject();
        JsonArray points = json.getAsJsonArray("points");
        assertEquals(4, points.size());
        JsonObject p2 = points.get(2).getAsJsonObject();
        assertEquals(2.0, p2.get("guidance_scale").getAsDouble());
        assertEquals(0.5, p2.get("class_accuracy").getAsDouble(), 1e-15);
        assertEquals(two.scores().fd(), p2.get("fd").getAsDouble(), 1e-12);
        assertEquals(CLASSES, p2.getAsJsonArray("per_class_accuracy").size());
        assertTrue(p2.has("is_mean") && !p2.has("precision"), p2.toString());
        assertEquals(0.8, json.getAsJsonObject("real").get("class_accuracy").getAsDouble(), 1e-15);
        assertEquals("synthetic", json.getAsJsonObject("settings").get("model").getAsString());

        BufferedImage png = ImageIO.read(dir.resolve(GuidanceSweepReport.CHART).toFile());
        assertEquals(900, png.getWidth());
        assertEquals(560, png.getHeight());
    }

    @Test
    void nllIsRefusedAndScalesPrintAsTyped() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new GuidanceSweep(EnumSet.of(Metric.FD, Metric.NLL), Map.of()));
        assertTrue(e.getMessage().contains("does not depend on the guidance scale"), e.getMessage());
        assertEquals(EnumSet.of(Metric.FD), new GuidanceSweep(EnumSet.noneOf(Metric.class), Map.of()).metrics(), "FD is always in");
        assertEquals("2", GuidanceSweepReport.scaleText(2.0));
        assertEquals("0", GuidanceSweepReport.scaleText(0.0));
        assertEquals("7.5", GuidanceSweepReport.scaleText(7.5));
        assertEquals("100000", GuidanceSweepReport.scaleText(1e5));
    }
}
