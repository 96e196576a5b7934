package org.diffusion4j.eval.report;

import org.diffusion4j.eval.GaussianStats;
import org.diffusion4j.eval.FeatureStats;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.diffusion4j.eval.report.QualityReport.Metric;
import org.diffusion4j.eval.classifier.FashionClassifier;
import org.junit.jupiter.api.Test;

class QualityReportTest {

    @Test
    void metricListsParseCaseInsensitivelyAndRefuseUnknownNames() {
        assertEquals(EnumSet.of(Metric.FD, Metric.NLL), QualityReport.Metric.parse(" NLL, fd "));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> QualityReport.Metric.parse("fd,fid"));
        assertTrue(e.getMessage().contains("'fid'") && e.getMessage().contains("fd, is, pr, nll"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> QualityReport.Metric.parse(""));
        assertThrows(IllegalArgumentException.class, () -> QualityReport.Metric.parse("fd,"));
    }

    @Test
    void nllIsTheMeanWithTheStandardErrorOfTheMean() {
        QualityReport.Nll n = QualityReport.Nll.of(new double[] {1, 2, 3, 4});
        assertEquals(2.5, n.bitsPerDim(), 1e-12);
        // sample variance 5/3, standard error sqrt(5/3 / 4)
        assertEquals(Math.sqrt(5.0 / 12.0), n.standardError(), 1e-12);
        assertEquals(4, n.images());
        assertTrue(Double.isNaN(QualityReport.Nll.of(new double[] {7}).standardError()));
    }

    /**
     * Images scored against their own statistics and features: FD 0, precision and recall 1; only
     * the requested metrics are computed, and the JSON holds exactly those.
     */
    @Test
    void imagesAgainstThemselvesScorePerfectlyAndOnlyRequestedMetricsAreComputed() {
        Engine.getInstance().setRandomSeed(5);
        try (NDManager m = NDManager.newBaseManager()) {
            FashionClassifier net = new FashionClassifier(new FashionClassifier.Config(4, 8, 16, 10, 0f));
            net.initialize(m);
            NDArray images = m.randomUniform(-1f, 1f, new Shape(40, 1, 28, 28));
            GaussianStats own = FeatureStats.gaussian(net, images, 16);
            NDArray realFeatures = FeatureStats.features(net, images, 16);
            int before = m.getManagedArrays().size();
            QualityReport.Scores all = QualityReport.score(net, images, own, realFeatures, EnumSet.allOf(Metric.class), 4, 3);
            assertEquals(before, m.getManagedArrays().size(), "no arrays left behind");
            assertEquals(40, all.images());
            assertEquals(0.0, all.fd(), 1e-6);
            assertEquals(1.0, all.precision());
            assertEquals(1.0, all.recall());
            assertTrue(all.isMean() >= 1 && all.isMean() <= 10, "IS in [1, classes]: " + all.isMean());

            QualityReport.Scores fdOnly = QualityReport.score(net, images.mul(0.3f), own, null, Set.of(Metric.FD), 4, 3);
            assertTrue(fdOnly.fd() > 1e-3, "a shrunk copy is further away: " + fdOnly.fd());
            assertTrue(Double.isNaN(fdOnly.isMean()) && Double.isNaN(fdOnly.precision()) && Double.isNaN(fdOnly.recall()));
            assertThrows(IllegalArgumentException.class,
                    () -> QualityReport.score(net, images, own, null, Set.of(Metric.PR), 4, 3), "PR needs real features");

            Map<String, Object> settings = new LinkedHashMap<>();
            settings.put("images", 40);
            settings.put("sampler", "ddim");
            QualityReport report = new QualityReport(Set.of(Metric.FD), List.of(
                    new QualityReport.Column("samples", "samples", "shrunk", fdOnly),
                    new QualityReport.Column("train", "train (floor)", "own", all.withNll(QualityReport.Nll.of(new double[] {3, 5})))),
                    settings, Map.of("total", 1.5));
            JsonObject j = report.toJson();
            JsonObject samples = j.getAsJsonObject("columns").getAsJsonObject("samples");
            assertEquals(fdOnly.fd(), samples.get("fd").getAsDouble(), 0);
            assertFalse(samples.has("is_mean") || samples.has("precision") || samples.has("nll_bits_per_dim"), samples.toString());
            assertEquals("ddim", j.getAsJsonObject("settings").get("sampler").getAsString());
            assertEquals(1.5, j.getAsJsonObject("seconds").get("total").getAsDouble());
            String table = report.table();
            assertTrue(table.startsWith(" ") && table.contains("train (floor)"), table);
            assertTrue(table.lines().anyMatch(l -> l.startsWith("FD") && l.contains(String.format(java.util.Locale.ROOT, "%.2f", fdOnly.fd()))
                    && l.trim().endsWith("0.00")), table);
            assertFalse(table.contains("precision") || table.contains("NLL"), table);
        }
    }

    @Test
    void notComputedNumbersAreJsonNullNotNaN() {
        QualityReport.Scores s = new QualityReport.Scores(1, 2.0, 1.0, Double.NaN, Double.NaN, Double.NaN,
                QualityReport.Nll.of(new double[] {4}));
        QualityReport r = new QualityReport(EnumSet.allOf(Metric.class), List.of(new QualityReport.Column("samples", "s", "d", s)),
                Map.of(), Map.of());
        JsonObject c = r.toJson().getAsJsonObject("columns").getAsJsonObject("samples");
        assertTrue(c.get("is_std").isJsonNull() && c.get("nll_standard_error").isJsonNull(), c.toString());
        assertEquals(4.0, c.get("nll_bits_per_dim").getAsDouble());
        new com.google.gson.Gson().toJson(r.toJson()); // serialisable with a default Gson
    }
}
