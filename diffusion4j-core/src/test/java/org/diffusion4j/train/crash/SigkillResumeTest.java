package org.diffusion4j.train.crash;

import org.diffusion4j.train.TrainingCheckpoint;
import org.diffusion4j.train.MetricsLog;
import org.diffusion4j.train.CheckpointManifest;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.diffusion4j.diffusers.ModelFolder;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash safety end to end: a training process is killed with SIGKILL again and again (at random
 * moments, most of them inside a checkpoint save) and restarted with resume until it reaches step
 * N; the result must be bit-identical to one uninterrupted run of the same seed: weights, EMA,
 * AdamW moments and counters, the exported model, and the loss sequence of {@code metrics.jsonl}.
 * See {@link KillHarness} for what is checked at each restart.
 *
 * <p>The default run makes 5 kills: about 25 s on the 2-core machine at a load of 4, several
 * minutes at nice 19 when normal-priority jobs saturate both cores (every session is a new JVM).
 * The {@code long}-tagged run makes
 * 100 ({@code -Dkill.count}, {@code -Dkill.seed} change them):
 * {@code mvn -o -pl diffusion4j-core test -Dtest=SigkillResumeTest -Dgroups=long -DexcludedGroups=}.
 */
class SigkillResumeTest {

    private static final int CHECKPOINT_EVERY = 2;

    @Test
    void fiveKillsThenTheSameBitsAsAnUninterruptedRun(@TempDir Path tmp) throws Exception {
        killAndCompare(tmp, 5, Long.getLong("kill.seed", 8));
    }

    @Tag("long")
    @Test
    void aHundredKillsThenTheSameBitsAsAnUninterruptedRun(@TempDir Path tmp) throws Exception {
        killAndCompare(tmp, Integer.getInteger("kill.count", 100), Long.getLong("kill.seed", 100));
    }

    private static void killAndCompare(Path tempDir, int kills, long seed) throws Exception {
        Path tmp = tempDir;
        String keep = System.getProperty("kill.dir"); // keep the run folders and logs there, for a post-mortem
        if (keep != null) {
            tmp = Path.of(keep);
            if (Files.exists(tmp)) { // only a folder of an earlier run of this test is emptied
                try (var entries = Files.list(tmp)) {
                    List<String> names = entries.map(p -> p.getFileName().toString()).toList();
                    assertTrue(List.of("logs", "uninterrupted", "killed").containsAll(names),
                            "-Dkill.dir=" + keep + " holds other files " + names + "; give a new or empty folder");
                }
                try (var s = Files.walk(tmp)) {
                    for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                        Files.delete(p);
                    }
                }
            }
        }
        Assumptions.assumeTrue(System.getProperty("os.name").startsWith("Linux"),
                "Process.destroyForcibly is SIGKILL on Linux; other systems are not tested");
        long target = 4L * kills + 8; // each killed session advances at most ~4 steps: the kills all land before N
        Path reference = tmp.resolve("uninterrupted");
        ChildJvm straight = KillHarness.startChild(reference, tmp.resolve("logs/uninterrupted.err"), target,
                CHECKPOINT_EVERY, seed);
        assertTrue(straight.await(0, "FRESH"::equals, 1_800_000) >= 0, "the uninterrupted run did not start: "
                + straight.lines() + "\n" + straight.stderrTail());
        long ready = straight.elapsedNanos();
        assertEquals(0, straight.waitFor(Math.max(1800, 20 * target)), straight.stderrTail()); // a hang guard only
        long perStep = (straight.elapsedNanos() - ready) / target;
        assertEquals("DONE " + target, straight.lines().get(straight.lines().size() - 1));

        Path crashed = tmp.resolve("killed");
        KillHarness.Outcome outcome = new KillHarness(crashed, tmp.resolve("logs"), target, CHECKPOINT_EVERY, seed,
                ready, perStep).run(kills);
        System.out.printf("SIGKILL resume, seed %d, %d steps (uninterrupted run: %.1f s to resume, %.0f ms per step "
                + "with checkpoints every %d): %s%n", seed, target, ready / 1e9, perStep / 1e6, CHECKPOINT_EVERY, outcome);

        assertSameRun(reference, crashed, target);
        assertTrue(outcome.killsInCheckpointSave() > 0, "no kill landed inside a checkpoint save: " + outcome);
        assertEquals(0, outcome.naturalFallbacks(), "an incomplete checkpoint was visible under its final name: "
                + outcome);
    }

    /** Checkpoint N, the exported model and the logged losses of two run folders are the same bits. */
    static void assertSameRun(Path a, Path b, long step) throws IOException {
        ModelFolder fa = new ModelFolder(a);
        ModelFolder fb = new ModelFolder(b);
        for (String file : List.of(TrainingCheckpoint.MODEL, TrainingCheckpoint.EMA, TrainingCheckpoint.OPTIMIZER,
                TrainingCheckpoint.CONFIG)) {
            assertArrayEquals(Files.readAllBytes(fa.checkpointDir(step).resolve(file)),
                    Files.readAllBytes(fb.checkpointDir(step).resolve(file)), file + " of step " + step);
        }
        assertEquals(stateWithoutWallTime(fa.checkpointDir(step)), stateWithoutWallTime(fb.checkpointDir(step)));
        for (Path p : List.of(Path.of(ModelFolder.UNET, ModelFolder.UNET_WEIGHTS),
                Path.of(ModelFolder.UNET, ModelFolder.UNET_CONFIG),
                Path.of(ModelFolder.SCHEDULER, ModelFolder.SCHEDULER_CONFIG), Path.of(ModelFolder.MODEL_INDEX))) {
            assertArrayEquals(Files.readAllBytes(a.resolve(p)), Files.readAllBytes(b.resolve(p)), p.toString());
        }
        List<String> la = trainLines(a);
        assertEquals(step, la.size(), "one loss line per step in " + a);
        assertEquals(la, trainLines(b), "the loss sequence of metrics.jsonl");
        System.out.println("bit-identical at step " + step + ": model.safetensors SHA-256 "
                + CheckpointManifest.sha256(fb.checkpointDir(step).resolve(TrainingCheckpoint.MODEL)) + ", last loss line "
                + la.get(la.size() - 1));
    }

    private static JsonObject stateWithoutWallTime(Path dir) throws IOException {
        JsonObject o = JsonParser.parseString(Files.readString(dir.resolve(TrainingCheckpoint.STATE))).getAsJsonObject();
        o.remove("elapsed_seconds");
        return o;
    }

    /** The {@code "train"} lines of metrics.jsonl as "step loss lr grad_norm skipped_steps", JSON number text as written. */
    private static List<String> trainLines(Path runDir) throws IOException {
        List<String> out = new ArrayList<>();
        long expectedStep = 1;
        for (String line : Files.readAllLines(runDir.resolve(MetricsLog.FILE_NAME), StandardCharsets.UTF_8)) {
            JsonObject o = JsonParser.parseString(line).getAsJsonObject();
            if (!"train".equals(o.get("kind").getAsString())) {
                continue;
            }
            assertEquals(expectedStep++, o.get("step").getAsLong(), "steps of " + runDir + " in order, once each");
            out.add(o.get("step") + " " + o.get("loss") + " " + o.get("lr") + " " + o.get("grad_norm") + " "
                    + o.get("skipped_steps"));
        }
        return out;
    }
}
