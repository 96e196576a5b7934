package org.diffusion4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EmaTest {

    @Test
    void warmupFormula() {
        assertEquals(0.1, Ema.decayAt(0, 0.9999, true), 1e-15);
        assertEquals(2.0 / 11, Ema.decayAt(1, 0.9999, true), 1e-15);
        assertEquals(11.0 / 20, Ema.decayAt(10, 0.9999, true), 1e-15);
        assertEquals(1001.0 / 1010, Ema.decayAt(1000, 0.9999, true), 1e-15);
        // (1+n)/(10+n) reaches 0.999 at n = 8991: from there on the configured decay caps it.
        assertEquals(0.999, Ema.decayAt(8991, 0.999, true), 1e-12);
        assertEquals(0.999, Ema.decayAt(1_000_000, 0.999, true), 0);
        assertEquals(0.999, Ema.decayAt(0, 0.999, false), 0);
    }

    @Test
    void updatesFollowTheRecurrence() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray p = manager.create(new float[] {1f, -1f});
            Ema ema = new Ema(Map.of("p", p), manager, 0.99, true);
            double[] shadow = {1, -1};
            double[][] values = {{2, 0}, {4, 2}, {-3, 5}};
            for (int n = 0; n < values.length; n++) {
                p.set(new float[] {(float) values[n][0], (float) values[n][1]});
                double d = Math.min(0.99, (1.0 + n) / (10.0 + n));
                for (int i = 0; i < 2; i++) {
                    shadow[i] = d * shadow[i] + (1 - d) * values[n][i];
                }
                try (NDManager step = manager.newSubManager()) {
                    ema.update(Map.of("p", p), step);
                }
                float[] got = ema.weights().get("p").toFloatArray();
                assertEquals(shadow[0], got[0], 1e-5);
                assertEquals(shadow[1], got[1], 1e-5);
            }
            assertEquals(3, ema.updates());
            // The shadow copy is independent of the parameter.
            p.set(new float[] {100f, 100f});
            assertEquals(shadow[0], ema.weights().get("p").toFloatArray()[0], 1e-5);
        }
    }
}
