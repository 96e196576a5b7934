package org.diffusion4j.eval.report;

import org.diffusion4j.eval.GaussianStats;
import org.diffusion4j.eval.FeatureExtractor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.diffusion4j.diffusion.Denoiser;
import org.diffusion4j.diffusion.NoiseSource;
import org.diffusion4j.sampling.Sampler;
import org.diffusion4j.sampling.SamplingListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SamplerSweepTest {

    @TempDir
    Path dir;

    /** Features = the 4 pixels of a 1×2×2 image. */
    static final FeatureExtractor PIXELS = new FeatureExtractor() {
        @Override
        public String name() {
            return "pixels";
        }

        @Override
        public int featureDim() {
            return 4;
        }

        @Override
        public NDArray features(NDArray images) {
            return images.reshape(images.getShape().get(0), 4);
        }
    };

    /** A stand-in sampler: {@code evaluations} network calls, never asked to sample. */
    record FakeSampler(String name, int evaluations) implements Sampler {
        @Override
        public NDArray sample(Denoiser denoiser, NDArray xT, NoiseSource noise, SamplingListener listener) {
            throw new UnsupportedOperationException();
        }
    }

    static SamplerSweep.Settings settings(int images) {
        return new SamplerSweep.Settings("m", "abc123", images, 1, "ref", 100);
    }

    @Test
    void planCrossesSamplersAndStepsAndAddsTheReferenceOnce() {
        List<SamplerSweep.Cell> plan = SamplerSweep.plan(List.of("ddpm", "ddim"), List.of(5, 100), 100);
        assertEquals(List.of(new SamplerSweep.Cell("ddpm", 5), new SamplerSweep.Cell("ddpm", 100), new SamplerSweep.Cell("ddim", 5),
                new SamplerSweep.Cell("ddim", 100)), plan);
        assertEquals(5, SamplerSweep.plan(List.of("ddpm", "ddim"), List.of(5, 10), 100).size());
        assertEquals(4, SamplerSweep.plan(List.of("ddpm", "ddim"), List.of(5, 10), 0).size());
    }

    /**
     * A run with a generator whose images get closer to the reference distribution N(0, I) as the
     * step count grows: cells run cheapest first, an impossible cell is recorded as failed, the FD
     * falls with the steps, and the state survives a save/load round trip.
     */
    @Test
    void runsCheapestFirstRecordsFailuresAndRoundTrips() throws IOException {
        GaussianStats reference = GaussianStats.of(new double[4], identity(4), 100000);
        List<SamplerSweep.Cell> plan = SamplerSweep.plan(List.of("a", "b"), List.of(8, 1, 3), 0);
        SamplerSweep.SamplerFactory factory = c -> {
            if (c.sampler().equals("b") && c.steps() == 3) {
                throw new IllegalArgumentException("b cannot take 3 steps");
            }
            return new FakeSampler(c.sampler(), c.sampler().equals("b") ? 2 * c.steps() : c.steps());
        };
        // N(shift, I) images with shift = 2/steps, from the same seed for every cell
        SamplerSweep.Generator generator = (sampler, m) -> {
            SplittableRandom r = new SplittableRandom(9);
            float[] v = new float[400 * 4];
            double shift = 2.0 / (sampler.name().equals("b") ? sampler.evaluations() / 2 : sampler.evaluations());
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (gaussian(r) + shift);
            }
            return m.create(v, new Shape(400, 1, 2, 2));
        };
        SamplerSweep sweep = new SamplerSweep(settings(400));
        List<String> order = new ArrayList<>();
        List<Integer> checkpoints = new ArrayList<>();
        SamplerSweep.Listener listener = new SamplerSweep.Listener() {
            @Override
            public void starting(SamplerSweep.Cell cell, Sampler sampler, int index, int count, double estimatedSeconds) {
                order.add(cell.sampler() + cell.steps());
            }
        };
        try (NDManager m = NDManager.newBaseManager()) {
            List<SamplerSweep.Cell> pending = sweep.run(plan, factory, generator, PIXELS, reference, m, 0, listener,
                    s -> checkpoints.add(s.results().size()));
            assertTrue(pending.isEmpty());
        }
        assertEquals(List.of("a1", "b1", "a3", "a8", "b8"), order, "ascending network evaluations (a1=1, b1=2, a3=3, a8=8, b8=16)");
        assertEquals(List.of(1, 2, 3, 4, 5), checkpoints);
        assertEquals(1, sweep.failures().size());
        assertTrue(sweep.failures().get(0).error().contains("cannot take 3 steps"));
        double fd1 = sweep.result(new SamplerSweep.Cell("a", 1)).orElseThrow().fd();
        double fd8 = sweep.result(new SamplerSweep.Cell("a", 8)).orElseThrow().fd();
        // FD ≈ ‖Δμ‖² = 4 · shift² (+ sampling noise of 400 draws)
        assertEquals(16.0, fd1, 0.5);
        assertEquals(4 * 0.25 * 0.25, fd8, 0.1);

        Path file = dir.resolve("state.json");
        sweep.setFloor(0.01, "floor images");
        sweep.save(file, plan);
        SamplerSweep back = SamplerSweep.load(file);
        assertEquals(sweep.results(), back.results());
        assertEquals(sweep.failures(), back.failures());
        assertEquals(0.01, back.floorFd());
        assertTrue(back.settings().sameSweep(settings(400)));
        assertTrue(!back.settings().sameSweep(settings(401)));
    }

    @Test
    void timeIsEstimatedFromThePooledSpeedOfFinishedCells() throws IOException {
        SamplerSweep s = sweepWith("""
                {"sampler": "a", "steps": 10, "evaluations": 10, "fd": 5, "seconds": 20, "finished": "x"},
                {"sampler": "b", "steps": 10, "evaluations": 30, "fd": 5, "seconds": 20, "finished": "x"}""", 100);
        assertEquals(Double.NaN, new SamplerSweep(settings(100)).estimateSeconds(10));
        // 4000 image-evaluations in 40 s: 100 per second
        assertEquals(50.0, s.estimateSeconds(50), 1e-9);
    }

    @Test
    void verdictNamesTheSamplersWithinTenPercentAtTwentyEvaluations() throws IOException {
        SamplerSweep s = sweepWith("""
                {"sampler": "ddpm", "steps": 100, "evaluations": 100, "fd": 10.0, "seconds": 1, "finished": "x"},
                {"sampler": "ddim", "steps": 20, "evaluations": 20, "fd": 10.9, "seconds": 1, "finished": "x"},
                {"sampler": "ddim", "steps": 10, "evaluations": 10, "fd": 14.0, "seconds": 1, "finished": "x"},
                {"sampler": "heun", "steps": 10, "evaluations": 19, "fd": 11.5, "seconds": 1, "finished": "x"},
                {"sampler": "euler", "steps": 50, "evaluations": 50, "fd": 9.0, "seconds": 1, "finished": "x"}""", 8);
        List<SamplerSweepReport.Verdict> v = SamplerSweepReport.verdicts(s, 20, 0.10);
        assertEquals(2, v.size(), "euler has no cell within 20 evaluations; the reference is not a candidate");
        assertEquals("ddim", v.get(0).sampler());
        assertEquals(20, v.get(0).best().evaluations());
        assertTrue(v.get(0).withinTolerance());
        assertEquals("heun", v.get(1).sampler());
        assertTrue(!v.get(1).withinTolerance());
        String text = SamplerSweepReport.verdictText(s);
        assertTrue(text.contains("100-step DDPM FD (10.00)") && text.contains("ddim (FD 10.90 at 20 evaluations, +9%)")
                && text.contains("Not within: heun (FD 11.50 at 19 evaluations, +15%)"), text);
        String md = SamplerSweepReport.markdown(s, List.of("ddpm", "ddim", "heun", "euler"), List.of(), "cmd");
        assertTrue(md.contains("| ddpm (reference) | 100 | 100 | 10.00 | 1.00 |") && md.contains("| ddim | 10 | 10 | 14.00 | 1.40 |"), md);
        assertTrue(md.indexOf("| ddim | 10 |") < md.indexOf("| ddim | 20 |"), "sorted by evaluations within a sampler");
        String csv = SamplerSweepReport.csv(s, List.of("ddpm", "ddim", "heun", "euler"));
        assertTrue(csv.contains("\nheun,10,19,8,1,11.500000,1.150000,1.000,152.000,x\n"), csv);
    }

    @Test
    void aCorruptStateFileIsRefusedWithItsName() throws IOException {
        Path f = dir.resolve("samplers.json");
        Files.writeString(f, "{\"settings\": {\"model\": \"m\"}, \"results\": [{\"steps\": 3}]}");
        IOException e = assertThrows(IOException.class, () -> SamplerSweep.load(f));
        assertTrue(e.getMessage().startsWith(f.toString()) && e.getMessage().contains("not a sampler-sweep state file"), e.getMessage());
    }

    private SamplerSweep sweepWith(String results, int images) throws IOException {
        Path f = dir.resolve("s" + images + ".json");
        Files.writeString(f, "{\"settings\": {\"model\": \"m\", \"modelDigest\": \"abc123\", \"images\": " + images
                + ", \"seed\": 1, \"reference\": \"ref\", \"referenceSteps\": 100}, \"results\": [" + results + "]}");
        return SamplerSweep.load(f);
    }

    private static double[][] identity(int d) {
        double[][] a = new double[d][d];
        for (int i = 0; i < d; i++) {
            a[i][i] = 1;
        }
        return a;
    }

    private static double gaussian(SplittableRandom r) {
        double u, v, s;
        do {
            u = 2 * r.nextDouble() - 1;
            v = 2 * r.nextDouble() - 1;
            s = u * u + v * v;
        } while (s >= 1 || s == 0);
        return u * Math.sqrt(-2 * Math.log(s) / s);
    }
}
