package org.diffusion4j.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.diffusion4j.io.SafeTensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GaussianStatsTest {

    @TempDir
    Path tmp;

    @Test
    void smallExampleMatchesNumpyCov() {
        // np.cov([[1,2],[3,4],[5,0]], rowvar=False) = [[4,-2],[-2,4]], mean [3,2]
        GaussianStats s = GaussianStats.of(new double[][] {{1, 2}, {3, 4}, {5, 0}});
        assertArrayEquals(new double[] {3, 2}, s.mean(), 1e-15);
        assertArrayEquals(new double[] {4, -2}, s.covariance()[0], 1e-14);
        assertArrayEquals(new double[] {-2, 4}, s.covariance()[1], 1e-14);
        assertEquals(3, s.count());
    }

    static double[][] randomFeatures(int n, int d, Random rng) {
        double[][] x = new double[n][d];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                // correlated, with a large common offset that a naive Σxxᵀ − Nμμᵀ would lose
                x[i][j] = 1e4 + rng.nextGaussian() * (1 + j) + (j > 0 ? x[i][j - 1] - 1e4 : 0);
            }
        }
        return x;
    }

    /** Two-pass textbook estimate. */
    static double[][] twoPassCovariance(double[][] x) {
        int n = x.length, d = x[0].length;
        double[] mu = new double[d];
        for (double[] row : x) {
            for (int j = 0; j < d; j++) {
                mu[j] += row[j] / n;
            }
        }
        double[][] c = new double[d][d];
        for (double[] row : x) {
            for (int i = 0; i < d; i++) {
                for (int j = 0; j < d; j++) {
                    c[i][j] += (row[i] - mu[i]) * (row[j] - mu[j]) / (n - 1);
                }
            }
        }
        return c;
    }

    @Test
    void streamingOverUnevenBatchesEqualsTwoPass() {
        Random rng = new Random(7);
        double[][] x = randomFeatures(1000, 8, rng);
        double[][] expected = twoPassCovariance(x);
        GaussianStats.Accumulator acc = GaussianStats.accumulator(8);
        int[] sizes = {1, 2, 97, 400, 0, 500};
        int at = 0;
        for (int size : sizes) {
            acc.add(java.util.Arrays.copyOfRange(x, at, at + size));
            at += size;
        }
        assertEquals(1000, at);
        GaussianStats s = acc.build();
        assertEquals(1000, s.count());
        double[][] c = s.covariance();
        for (int i = 0; i < 8; i++) {
            for (int j = 0; j < 8; j++) {
                assertEquals(expected[i][j], c[i][j], 1e-9 * Math.abs(expected[i][i]), i + "," + j);
                assertEquals(c[i][j], c[j][i], 0.0);
            }
        }
    }

    @Test
    void mergedPartsEqualOneAccumulatorAndSurviveSerialization() throws Exception {
        Random rng = new Random(11);
        double[][] x = randomFeatures(700, 6, rng);
        GaussianStats whole = GaussianStats.accumulator(6).add(x).build();
        // parts of uneven size (one empty), merged in a tree as Spark's treeAggregate does, one via Java serialization
        int[] cuts = {0, 1, 64, 64, 300, 700};
        GaussianStats.Accumulator[] parts = new GaussianStats.Accumulator[cuts.length - 1];
        for (int p = 0; p < parts.length; p++) {
            parts[p] = GaussianStats.accumulator(6).add(java.util.Arrays.copyOfRange(x, cuts[p], cuts[p + 1]));
        }
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.io.ObjectOutputStream out = new java.io.ObjectOutputStream(bytes)) {
            out.writeObject(parts[3]);
        }
        try (java.io.ObjectInputStream in = new java.io.ObjectInputStream(new java.io.ByteArrayInputStream(bytes.toByteArray()))) {
            parts[3] = (GaussianStats.Accumulator) in.readObject();
        }
        GaussianStats merged = GaussianStats.accumulator(6).merge(parts[0].merge(parts[1]))
                .merge(parts[2].merge(parts[3].merge(parts[4]))).build();
        assertEquals(700, merged.count());
        assertArrayEquals(whole.mean(), merged.mean(), 1e-12 * 1e4);
        double[][] a = whole.covariance();
        double[][] b = merged.covariance();
        for (int i = 0; i < 6; i++) {
            for (int j = 0; j < 6; j++) {
                assertEquals(a[i][j], b[i][j], 1e-12 * Math.abs(a[i][i]), i + "," + j);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> GaussianStats.accumulator(6).merge(GaussianStats.accumulator(5)));
    }

    @Test
    void ndArrayInputEqualsArrayInput() {
        Random rng = new Random(8);
        float[] flat = new float[300 * 5];
        double[][] rows = new double[300][5];
        for (int i = 0; i < flat.length; i++) {
            flat[i] = (float) rng.nextGaussian();
            rows[i / 5][i % 5] = flat[i];
        }
        try (NDManager m = NDManager.newBaseManager()) {
            GaussianStats a = GaussianStats.of(m.create(flat, new Shape(300, 5)));
            GaussianStats b = GaussianStats.of(rows);
            assertArrayEquals(b.mean(), a.mean(), 1e-12);
            for (int i = 0; i < 5; i++) {
                assertArrayEquals(b.covariance()[i], a.covariance()[i], 1e-12);
            }
        }
    }

    @Test
    void saveLoadRoundTripIsExact() throws IOException {
        GaussianStats s = GaussianStats.of(randomFeatures(50, 6, new Random(9)));
        Path file = tmp.resolve("stats.safetensors");
        s.save(file, Map.of("feature_extractor", "test"));
        GaussianStats t = GaussianStats.load(file);
        assertEquals(50, t.count());
        assertArrayEquals(s.mean(), t.mean(), 0.0);
        for (int i = 0; i < 6; i++) {
            assertArrayEquals(s.covariance()[i], t.covariance()[i], 0.0);
        }
        assertEquals("test", SafeTensors.read(file).metadata().get("feature_extractor"));
        assertEquals(0.0, FrechetDistance.squared(s, t), 1e-9);
    }

    @Test
    void loadRefusesAFileWithoutSigma() throws IOException {
        Path file = tmp.resolve("bad.safetensors");
        SafeTensors.writeTensors(file, List.of(SafeTensors.Tensor.of("mu", new double[] {1, 2}, 2)), Map.of());
        IOException e = assertThrows(IOException.class, () -> GaussianStats.load(file));
        assertTrue(e.getMessage().contains("sigma") && e.getMessage().contains(file.toString()), e.getMessage());
    }

    @Test
    void loadRefusesMismatchedShapes() throws IOException {
        Path file = tmp.resolve("shape.safetensors");
        SafeTensors.writeTensors(file, List.of(
                SafeTensors.Tensor.of("mu", new double[] {1, 2}, 2),
                SafeTensors.Tensor.of("sigma", new double[9], 3, 3)), Map.of());
        IOException e = assertThrows(IOException.class, () -> GaussianStats.load(file));
        assertTrue(e.getMessage().contains("[D, D]"), e.getMessage());
    }

    @Test
    void refusesTooFewSamplesAndAsymmetricCovariance() {
        assertThrows(IllegalStateException.class, () -> GaussianStats.of(new double[][] {{1, 2}}));
        assertThrows(IllegalArgumentException.class,
                () -> GaussianStats.of(new double[2], new double[][] {{1, 0.5}, {0.2, 1}}, 0));
        assertThrows(IllegalArgumentException.class,
                () -> GaussianStats.accumulator(2).add(new double[][] {{1, Double.NaN}}));
    }
}
