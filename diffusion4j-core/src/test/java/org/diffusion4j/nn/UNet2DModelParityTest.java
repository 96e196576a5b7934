package org.diffusion4j.nn;

import org.diffusion4j.diffusers.UNet2DFolder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.diffusion4j.io.SafeTensors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The acceptance test: the diffusers fixture UNet (made by diffusers 0.31 UNet2DModel) loaded here
 * reproduces diffusers' output, and every intermediate activation the fixture stores, to float32
 * tolerance (the fixture's own float32-vs-float64 gap is 2e-6).
 */
@Tag("kernel")
class UNet2DModelParityTest {
    static final Path FIXTURES = Path.of("src/test/resources/fixtures/diffusers");
    static final Path UNET = FIXTURES.resolve("unet");
    private static final double TOLERANCE = 1e-4;

    private static NDManager manager;
    private static UNet2DModel model;
    private static SafeTensors io;
    private static SafeTensors intermediates;
    private static Map<String, float[]> recorded;
    private static NDArray out;

    private static int threads;

    @BeforeAll
    static void runForward() throws IOException {
        threads = IntraOpThreads.useOne();
        manager = NDManager.newBaseManager();
        model = UNet2DFolder.load(UNET, manager);
        io = SafeTensors.read(FIXTURES.resolve("reference/unet_io.safetensors"));
        intermediates = SafeTensors.read(FIXTURES.resolve("reference/unet_intermediates.safetensors"));
        recorded = new LinkedHashMap<>();
        out = model.forward(io.toNDArray("sample", manager), io.toNDArray("timestep", manager), null,
                (name, value) -> recorded.put(name, value.toFloatArray()));
    }

    @AfterAll
    static void close() {
        IntraOpThreads.restore(threads);
        model.close();
        manager.close();
    }

    @Test
    void outputMatchesDiffusers() {
        assertArrayEquals(io.info("out").shape(), out.getShape().getShape());
        double err = maxAbsDiff(io.floats("out"), out.toFloatArray());
        System.out.printf("UNet parity: max |out - diffusers out| = %.3g%n", err);
        assertTrue(err <= TOLERANCE, "max abs error " + err + " > " + TOLERANCE);
    }

    @Test
    void everyStoredIntermediateMatches() {
        int checked = 0;
        StringBuilder report = new StringBuilder();
        boolean ok = true;
        for (String key : intermediates.names()) {
            String stage = key.substring("act/".length());
            float[] mine = recorded.get(stage);
            assertTrue(mine != null, "forward did not record stage " + stage);
            float[] ref = intermediates.floats(key);
            assertEquals(ref.length, mine.length, stage);
            double err = maxAbsDiff(ref, mine);
            report.append(String.format("%-32s %.3g%n", stage, err));
            ok &= err <= TOLERANCE;
            checked++;
        }
        System.out.print(report);
        assertEquals(15, checked, "the fixture stores 15 stages");
        assertTrue(ok, "some stages differ by more than " + TOLERANCE + ":\n" + report);
    }

    @Test
    void int64AndFloat32TimestepsGiveTheSameOutput() {
        try (NDManager sub = manager.newSubManager()) {
            long[] t = io.longs("timestep");
            float[] tf = new float[t.length];
            for (int i = 0; i < t.length; i++) {
                tf[i] = t[i];
            }
            NDArray o = model.forward(io.toNDArray("sample", sub), sub.create(tf));
            assertEquals(0.0, maxAbsDiff(out.toFloatArray(), o.toFloatArray()));
        }
    }

    static double maxAbsDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs((double) a[i] - b[i]));
            if (Float.isNaN(a[i]) != Float.isNaN(b[i])) {
                return Double.NaN;
            }
        }
        return m;
    }
}
