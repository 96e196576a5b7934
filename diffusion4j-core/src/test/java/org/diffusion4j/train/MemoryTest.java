package org.diffusion4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** Only parameters, moments and EMA weights outlive a step: array count and resident memory stay flat. */
class MemoryTest {

    static int liveArrays(NDManager m) {
        return ((BaseNDManager) m).getManagedArrays().size();
    }

    @Test
    void noArrayOutlivesItsStep() {
        TrainConfig config = DiffusionTrainerTest.configBuilder(2).build();
        try (DiffusionTrainerTest.Run run = new DiffusionTrainerTest.Run(config, null)) {
            int params = run.trainer.parameters().size();
            run.losses(3);
            int after3 = liveArrays(run.manager);
            run.losses(20);
            assertEquals(after3, liveArrays(run.manager), "arrays alive after 3 and after 23 steps");
            // parameters, first and second moments, EMA weights
            assertEquals(4 * params, after3);
        }
    }

    static long residentKb() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }

    /**
     * The soak test of the brief: VmRSS after every 100 of 1,000 steps. A leak grows memory step after
     * step, so the median growth per 100 steps (robust to a one-off jump when the JVM or malloc
     * commits a new region) times 8 must stay below 30 MB, and the total growth below 64 MB. About
     * 15–30 s on 2 cores: tagged "long" (run with -Dgroups=long); {@link #noArrayOutlivesItsStep}
     * checks the same at the NDArray level in the default suite.
     */
    @org.junit.jupiter.api.Tag("long")
    @Test
    void residentMemoryIsFlatOverAThousandSteps() throws IOException {
        Assumptions.assumeTrue(Files.exists(Path.of("/proc/self/status")), "needs Linux /proc to read VmRSS");
        TrainConfig config = DiffusionTrainerTest.configBuilder(4).build();
        List<Long> rss = new ArrayList<>();
        List<Long> heap = new ArrayList<>();
        try (DiffusionTrainerTest.Run run = new DiffusionTrainerTest.Run(config, null)) {
            for (int i = 0; i < 10; i++) {
                run.losses(100);
                System.gc();
                rss.add(residentKb());
                heap.add(Runtime.getRuntime().totalMemory() / 1024);
            }
        }
        long growthKb = rss.get(rss.size() - 1) - rss.get(1);
        long[] diffs = new long[rss.size() - 2];
        for (int i = 2; i < rss.size(); i++) {
            diffs[i - 2] = rss.get(i) - rss.get(i - 1);
        }
        java.util.Arrays.sort(diffs);
        long medianKb = diffs[diffs.length / 2];
        System.out.println("VmRSS every 100 steps (kB): " + rss + "; growth after step 200: " + growthKb
                + " kB; median growth per 100 steps: " + medianKb + " kB; Java heap committed (kB): " + heap);
        assertTrue(medianKb * 8 < 30 * 1024, "resident memory grows by a median " + medianKb + " kB per 100 steps: " + rss);
        assertTrue(growthKb < 64 * 1024, "resident memory grew by " + growthKb + " kB between steps 200 and 1000: " + rss);
    }
}
