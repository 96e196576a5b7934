package org.diffusion4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import org.junit.jupiter.api.Test;

class InceptionScoreTest {

    @Test
    void uniformPosteriorsScoreOne() {
        double[][] p = new double[100][7];
        for (double[] row : p) {
            java.util.Arrays.fill(row, 1.0 / 7);
        }
        InceptionScore.Result r = InceptionScore.compute(p, 10);
        assertEquals(1.0, r.mean(), 1e-12);
        assertEquals(0.0, r.std(), 1e-12);
    }

    @Test
    void confidentBalancedPosteriorsScoreTheNumberOfClasses() {
        int classes = 10;
        double[][] p = new double[1000][classes];
        for (int i = 0; i < p.length; i++) {
            p[i][i % classes] = 1.0; // every split of 100 consecutive rows is balanced
        }
        InceptionScore.Result r = InceptionScore.compute(p, 10);
        assertEquals(classes, r.mean(), 1e-9);
        assertEquals(0.0, r.std(), 1e-9);
        assertEquals(10, r.splitScores().length);
    }

    @Test
    void mixedPosteriorsMatchTheDefinition() {
        // half the samples certain of class 0, half undecided: p(y) = (3/4, 1/4)
        double[][] p = new double[200][];
        for (int i = 0; i < p.length; i++) {
            p[i] = i % 2 == 0 ? new double[] {1, 0} : new double[] {0.5, 0.5};
        }
        double klCertain = Math.log(1 / 0.75);
        double klUndecided = 0.5 * Math.log(0.5 / 0.75) + 0.5 * Math.log(0.5 / 0.25);
        double expected = Math.exp(0.5 * (klCertain + klUndecided));
        assertEquals(expected, InceptionScore.compute(p, 1).mean(), 1e-12);
        assertTrue(expected > 1 && expected < 2);
    }

    @Test
    void splitsUseTheirOwnMarginalAndReportTheSpread() {
        // first half: all class 0 (score 1 alone); second half: balanced one-hot (score 2)
        double[][] p = new double[40][];
        for (int i = 0; i < 40; i++) {
            p[i] = i < 20 ? new double[] {1, 0} : (i % 2 == 0 ? new double[] {1, 0} : new double[] {0, 1});
        }
        InceptionScore.Result r = InceptionScore.compute(p, 2);
        assertEquals(1.0, r.splitScores()[0], 1e-12);
        assertEquals(2.0, r.splitScores()[1], 1e-12);
        assertEquals(1.5, r.mean(), 1e-12);
        assertEquals(0.5, r.std(), 1e-12);
    }

    @Test
    void ndArrayInputAgreesAndLogitsAreRefused() {
        Random rng = new Random(17);
        float[] flat = new float[60 * 4];
        double[][] rows = new double[60][4];
        for (int i = 0; i < 60; i++) {
            double sum = 0;
            for (int c = 0; c < 4; c++) {
                rows[i][c] = rng.nextDouble();
                sum += rows[i][c];
            }
            for (int c = 0; c < 4; c++) {
                rows[i][c] /= sum;
                flat[i * 4 + c] = (float) rows[i][c];
            }
        }
        try (NDManager m = NDManager.newBaseManager()) {
            double fromNd = InceptionScore.compute(m.create(flat, new Shape(60, 4)), 3).mean();
            assertEquals(InceptionScore.compute(rows, 3).mean(), fromNd, 1e-6);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> InceptionScore.compute(new double[][] {{2.0, -1.0}, {0.5, 0.5}}, 1));
        assertTrue(e.getMessage().contains("logits"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> InceptionScore.compute(rows, 61));
    }
}
