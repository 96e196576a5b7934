package org.diffusion4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class PrecisionRecallTest {

    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    static double[][] cluster(int n, int d, double centre, double spread, Random rng) {
        double[][] x = new double[n][d];
        for (double[] row : x) {
            for (int j = 0; j < d; j++) {
                row[j] = centre + spread * rng.nextGaussian();
            }
        }
        return x;
    }

    NDArray nd(double[][] rows) {
        int d = rows[0].length;
        double[] flat = new double[rows.length * d];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, flat, i * d, d);
        }
        return manager.create(flat, new Shape(rows.length, d));
    }

    static double[][] concat(double[][] a, double[][] b) {
        double[][] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** Direct transcription of Kynkäänniemi et al. 2019, Eq. 1–2, by nested loops. */
    static double bruteForceCoverage(double[][] manifold, double[][] queries, int k) {
        int n = manifold.length;
        double[] radius = new double[n];
        for (int i = 0; i < n; i++) {
            double[] d = new double[n];
            for (int j = 0; j < n; j++) {
                d[j] = dist(manifold[i], manifold[j]);
            }
            Arrays.sort(d);
            radius[i] = d[k]; // d[0] is the point itself
        }
        int inside = 0;
        for (double[] q : queries) {
            for (int i = 0; i < n; i++) {
                if (dist(q, manifold[i]) <= radius[i]) {
                    inside++;
                    break;
                }
            }
        }
        return inside / (double) queries.length;
    }

    static double dist(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (a[i] - b[i]) * (a[i] - b[i]);
        }
        return Math.sqrt(s);
    }

    @Test
    void identicalSetsHavePrecisionAndRecallOne() {
        double[][] x = cluster(300, 16, 0, 1, new Random(10));
        PrecisionRecall.Result r = PrecisionRecall.compute(nd(x), nd(x));
        assertEquals(1.0, r.precision(), 0.0);
        assertEquals(1.0, r.recall(), 0.0);
        assertEquals(3, r.k());
    }

    @Test
    void farApartClustersHavePrecisionAndRecallZero() {
        Random rng = new Random(11);
        double[][] real = cluster(200, 8, 0, 1, rng);
        double[][] generated = cluster(150, 8, 100, 1, rng);
        PrecisionRecall.Result r = PrecisionRecall.compute(nd(real), nd(generated));
        assertEquals(0.0, r.precision(), 0.0);
        assertEquals(0.0, r.recall(), 0.0);
    }

    @Test
    void oneOfTwoModesGivesFullPrecisionAndHalfRecall() {
        Random rng = new Random(12);
        int d = 2;
        double[][] modeA = cluster(400, d, 0, 1, rng), modeB = cluster(400, d, 50, 1, rng);
        double[][] real = concat(modeA, modeB);
        double[][] generated = cluster(400, d, 0, 1, rng); // fresh draws of mode A only
        // chunk 64 forces several distance blocks, including a ragged last one
        PrecisionRecall.Result r = PrecisionRecall.compute(nd(real), nd(generated), 3, 64);
        assertTrue(r.precision() > 0.95, "precision " + r.precision());
        assertTrue(r.recall() > 0.45 && r.recall() <= 0.5, "recall " + r.recall());
        // and exactly what the paper's definition gives by brute force
        assertEquals(bruteForceCoverage(real, generated, 3), r.precision(), 1e-12);
        assertEquals(bruteForceCoverage(generated, real, 3), r.recall(), 1e-12);
    }

    @Test
    void matchesBruteForceOnOverlappingHighDimensionalSets() {
        Random rng = new Random(13);
        double[][] real = cluster(257, 32, 0, 1, rng);
        double[][] generated = cluster(190, 32, 0.3, 1.2, rng);
        for (int k : new int[] {1, 3, 5}) {
            PrecisionRecall.Result r = PrecisionRecall.compute(nd(real), nd(generated), k, 100);
            assertEquals(bruteForceCoverage(real, generated, k), r.precision(), 1e-12, "precision k=" + k);
            assertEquals(bruteForceCoverage(generated, real, k), r.recall(), 1e-12, "recall k=" + k);
        }
    }

    @Test
    void refusesKNotBelowTheSetSize() {
        NDArray a = nd(cluster(3, 2, 0, 1, new Random(14)));
        NDArray b = nd(cluster(10, 2, 0, 1, new Random(15)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PrecisionRecall.compute(a, b));
        assertTrue(e.getMessage().contains("N=3"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> PrecisionRecall.compute(b, nd(cluster(10, 3, 0, 1, new Random(16)))));
    }
}
