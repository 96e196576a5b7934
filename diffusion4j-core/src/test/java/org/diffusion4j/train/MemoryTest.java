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
@org.junit.jupiter.api.extension.ExtendWith(SingleThreaded.class)
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

    @Test
    void residentMemoryIsFlatOverAThousandSteps() throws IOException {
        Assumptions.assumeTrue(Files.exists(Path.of("/proc/self/status")), "needs Linux /proc to read VmRSS");
        TrainConfig config = DiffusionTrainerTest.configBuilder(4).build();
        List<Long> rss = new ArrayList<>();
        try (DiffusionTrainerTest.Run run = new DiffusionTrainerTest.Run(config, null)) {
            for (int i = 0; i < 10; i++) {
                run.losses(100);
                System.gc();
                rss.add(residentKb());
            }
        }
        long growthKb = rss.get(rss.size() - 1) - rss.get(1);
        System.out.println("VmRSS every 100 steps (kB): " + rss + "; growth after step 200: " + growthKb + " kB");
        assertTrue(growthKb < 30 * 1024, "resident memory grew by " + growthKb + " kB between steps 200 and 1000: " + rss);
    }
}
