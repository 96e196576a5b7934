package org.diffusion4j.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.diffusion4j.data.Datasets;
import org.diffusion4j.data.Split;
import org.diffusion4j.eval.report.QualityReport;
import org.diffusion4j.eval.report.QualityReport.Metric;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The evaluation behind {@code diffusion4j eval}, on real images, where the answers are known. */
class EvaluationTest {

    static final Path CLASSIFIER = Path.of(System.getProperty("diffusion4j.root", "..")).resolve("models/fashion-classifier");

    @Test
    void aFolderWithoutTheClassifierFilesIsRefusedNamingWhatIsMissing(@TempDir Path tmp) {
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> Evaluation.checkClassifierFolder(tmp));
        assertTrue(e.getMessage().contains("not a feature-classifier folder") && e.getMessage().contains("--classifier"),
                e.getMessage());
    }

    @Test
    void realTestImagesScoreNearTheFloorAndFarBelowNoise() throws Exception {
        assumeTrue(Datasets.isInstalled("fashion-mnist") && Files.isDirectory(CLASSIFIER), "needs Fashion-MNIST and the shipped classifier");
        try (NDManager m = NDManager.newBaseManager()) {
            Evaluation evaluation = Evaluation.load(CLASSIFIER, m);
            assertNull(evaluation.classifierMismatch(new ModelClasses(11, Datasets.FASHION_MNIST_CLASSES)));
            assertTrue(evaluation.classifierMismatch(new ModelClasses(4, List.of("a", "b", "c"))).contains("3 classes"));
            // test images chosen with another seed than the anchors: as good as the training-image floor
            EvalImages.Images real = EvalImages.fashionMnist(Split.TEST, 300, 5);
            List<String> messages = new ArrayList<>();
            Evaluation.Listener listener = new Evaluation.Listener() {
                @Override
                public void message(String line) {
                    messages.add(line);
                }
            };
            Map<String, Object> settings = new LinkedHashMap<>();
            Map<String, Double> seconds = new LinkedHashMap<>();
            Evaluation.Result r = evaluation.evaluate(real, EnumSet.of(Metric.FD, Metric.PR), null, null, 64, settings, seconds,
                    System.nanoTime(), m, listener);
            List<QualityReport.Column> c = r.report().columns();
            assertEquals(List.of("samples", "train", "noise"), c.stream().map(QualityReport.Column::key).toList());
            double fdReal = c.get(0).scores().fd();
            double fdFloor = c.get(1).scores().fd();
            double fdNoise = c.get(2).scores().fd();
            assertTrue(fdReal < 1.5 * fdFloor && fdNoise > 10 * fdReal, fdReal + " " + fdFloor + " " + fdNoise);
            assertTrue(c.get(0).scores().precision() > 0.8 && c.get(2).scores().recall() < 0.05, c.toString());
            assertNull(r.accuracy(), "no model: nobody asked these images for a class");
            assertTrue(messages.stream().anyMatch(l -> l.startsWith("class accuracy: not measured")), messages.toString());
            assertEquals(300, settings.get("pr_real_images"), "precision/recall against as many real test images");
            assertTrue(seconds.containsKey("total"));
        }
    }
}
