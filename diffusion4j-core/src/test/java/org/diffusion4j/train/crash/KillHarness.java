package org.diffusion4j.train.crash;

import org.diffusion4j.train.TrainingCheckpoint;
import org.diffusion4j.train.Checkpointing;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.diffusion4j.diffusers.ModelFolder;
import org.diffusion4j.io.CheckpointException;

/**
 * Trains a {@link TrainingChild} to step N while killing it with SIGKILL at seeded random moments
 * and restarting it with resume, until it reaches N. Two kinds of kill: at a random moment of the
 * session (JVM start, resume, training, saving alike), or a random 0–3 ms after the child announces
 * that a checkpoint save begins (so that most land inside the write). Now and then, before a
 * restart, the newest good checkpoint is damaged (one byte flipped, as a lying disk would) so that
 * the resume must fall back to the previous one.
 *
 * <p>Checked at every restart, independently of the child: the last checkpoint the killed child
 * announced as sealed still verifies, and the child resumes at exactly the newest checkpoint that
 * verifies (or starts fresh when there is none). The caller compares the end result with an
 * uninterrupted run.
 */
final class KillHarness {

    /** What happened; see the report line of {@link #toString()}. */
    record Outcome(int kills, int killsInCheckpointSave, int killsLeavingPartialFiles, int resumes, int freshStarts,
            int fallbacks, int naturalFallbacks, int damageInjected, int sessions, double seconds) {
        @Override
        public String toString() {
            return String.format("%d SIGKILLs survived in %d sessions (%.1f s): %d landed inside a checkpoint save, "
                    + "%d left new partial files behind (all cleaned up by the end); %d resumes from a checkpoint, %d fresh starts; %d resumes fell back "
                    + "to an older checkpoint (%d after injected damage, %d without)", kills, sessions, seconds,
                    killsInCheckpointSave, killsLeavingPartialFiles, resumes, freshStarts, fallbacks,
                    fallbacks - naturalFallbacks, naturalFallbacks);
        }
    }

    private static final Pattern SKIPPED = Pattern.compile("step-(\\d+) is not usable and is skipped");

    private final Path runDir;
    private final Path logDir;
    private final long targetStep;
    private final int checkpointEvery;
    private final long seed;
    private final Random random;
    private long readyNanos;
    private final long nanosPerStep;

    /**
     * @param readyNanos how long the uninterrupted run took to resume (JVM start, engine, model)
     * @param nanosPerStep its time per step, checkpoints included
     */
    KillHarness(Path runDir, Path logDir, long targetStep, int checkpointEvery, long seed, long readyNanos,
            long nanosPerStep) {
        this.runDir = runDir;
        this.logDir = logDir;
        this.targetStep = targetStep;
        this.checkpointEvery = checkpointEvery;
        this.seed = seed;
        this.random = new Random(seed);
        this.readyNanos = readyNanos;
        this.nanosPerStep = nanosPerStep;
    }

    static ChildJvm startChild(Path runDir, Path stderr, long targetStep, int checkpointEvery, long seed)
            throws IOException {
        return ChildJvm.start(TrainingChild.class, stderr, runDir.toString(), Long.toString(targetStep),
                Integer.toString(checkpointEvery), Long.toString(seed));
    }

    /** Runs sessions until {@code kills} kills have been survived and a last session reaches the target step. */
    Outcome run(int kills) throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        ModelFolder folder = new ModelFolder(runDir);
        int killed = 0;
        int inSave = 0;
        int partial = 0;
        int resumes = 0;
        int fresh = 0;
        int fallbacks = 0;
        int natural = 0;
        int injected = 0;
        int sessions = 0;
        long lastAnnounced = -1;
        Files.createDirectories(logDir);
        Set<Long> damaged = new HashSet<>();
        while (true) {
            damaged.removeIf(s -> !isDamaged(folder, s));
            if (lastAnnounced >= 0 && damaged.isEmpty()) {
                // Durability: what the killed child announced as sealed survived the kill.
                Checkpointing.of(folder).verify(new Checkpointing.Checkpoint(lastAnnounced, folder.checkpointDir(lastAnnounced)));
            }
            List<Checkpointing.Checkpoint> good = goodCheckpoints(folder);
            String event = "";
            if (killed > 0 && killed < kills && good.size() >= 2 && random.nextInt(8) == 0) {
                event = "damaged step " + good.get(0).step() + "; ";
                damage(good.get(0));
                damaged.add(good.get(0).step());
                good.remove(0);
                injected++;
            }
            Optional<Checkpointing.Checkpoint> expected = Checkpointing.of(folder).newestGood(w -> {});
            assertEquals(good.isEmpty() ? Optional.empty() : Optional.of(good.get(0)), expected);
            sessions++;
            Set<Path> debrisBefore = partialFiles();
            ChildJvm child = startChild(runDir, logDir.resolve("session-" + sessions + ".err"), targetStep,
                    checkpointEvery, seed);
            String kill = killed < kills ? killSomewhere(child) : "no kill";
            int exit = child.waitFor(Math.max(1800, 20 * targetStep)); // a hang guard only
            int resumedAt = child.await(0, l -> l.equals("FRESH") || l.startsWith("RESUMED "), 0);
            if (resumedAt >= 0) {
                readyNanos = child.arrivalNanos(resumedAt); // the machine's load changes: follow it
            }
            List<String> lines = child.lines();
            Files.write(logDir.resolve("session-" + sessions + ".out"), lines);
            Files.writeString(logDir.resolve("harness.log"), "session " + sessions + ": " + event + "expect "
                    + expected.map(c -> "RESUMED " + c.step()).orElse("FRESH") + "; " + kill + "; exit " + exit + "\n",
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
            String what = "session " + sessions + " " + lines + " exit " + exit;
            // The resume the child made is the one the folder calls for.
            Optional<String> resumeLine = lines.stream().filter(l -> l.equals("FRESH") || l.startsWith("RESUMED ")).findFirst();
            if (resumeLine.isPresent()) {
                String want = expected.map(c -> "RESUMED " + c.step()).orElse("FRESH");
                assertEquals(want, resumeLine.get(), what);
                if (expected.isPresent()) {
                    resumes++;
                } else {
                    fresh++;
                }
                long skippedOwn = 0;
                long skippedAny = 0;
                for (String l : lines) {
                    Matcher m = SKIPPED.matcher(l);
                    if (m.find()) {
                        skippedAny++;
                        skippedOwn += damaged.contains(Long.parseLong(m.group(1))) ? 0 : 1;
                    }
                }
                fallbacks += skippedAny > 0 ? 1 : 0;
                natural += skippedOwn > 0 ? 1 : 0;
            }
            long announced = lastStep(lines, "CKPT-END ");
            if (announced >= 0) {
                lastAnnounced = announced;
            } else if (resumeLine.isPresent()) {
                lastAnnounced = expected.map(Checkpointing.Checkpoint::step).orElse(-1L);
            }
            if (exit == 137) {
                killed++;
                long begun = lastStep(lines, "CKPT-BEGIN ");
                if (begun >= 0 && begun > lastStep(lines, "CKPT-END ")) {
                    inSave++;
                }
                if (!debrisBefore.containsAll(partialFiles())) {
                    partial++;
                }
                continue;
            }
            assertEquals(0, exit, what + "\n" + child.stderrTail());
            assertEquals("DONE " + targetStep, lines.get(lines.size() - 1), what);
            assertEquals(kills, killed, "the child reached step " + targetStep + " before every kill was made");
            assertEquals(Set.of(), partialFiles(), "what interrupted writes left behind is cleaned up by the next save");
            return new Outcome(killed, inSave, partial, resumes, fresh, fallbacks, natural, injected, sessions,
                    (System.nanoTime() - t0) / 1e9);
        }
    }

    /**
     * Kills the child at a random moment of its session (a third of the time: between its start and
     * a few steps after it resumes, or at its second checkpoint save since the start, whichever
     * comes first, which bounds a session's progress) or a random 0–3 ms after it announces its
     * first or second checkpoint save.
     */
    private String killSomewhere(ChildJvm child) throws InterruptedException {
        String what;
        if (random.nextInt(3) == 0) {
            long at = (long) (random.nextDouble() * (readyNanos + 3 * nanosPerStep));
            int i = -1;
            for (int k = 0; k < 2; k++) {
                long left = TimeUnit.NANOSECONDS.toMillis(at - child.elapsedNanos());
                i = left <= 0 ? -1 : child.await(i + 1, l -> l.startsWith("CKPT-BEGIN ") || l.startsWith("DONE"), left);
                if (i < 0) {
                    break;
                }
            }
            if (i >= 0 && child.lines().get(i).startsWith("DONE")) {
                return "no kill: finished first";
            }
            what = i >= 0 ? String.format("kill at %.3f s (its second save began first)", child.elapsedNanos() / 1e9)
                    : String.format("kill at %.3f s", at / 1e9);
        } else {
            int nth = 1 + random.nextInt(2);
            long delay = (long) (random.nextDouble() * 3_000_000);
            int i = -1;
            for (int k = 0; k < nth; k++) {
                i = child.await(i + 1, l -> l.startsWith("CKPT-BEGIN ") || l.startsWith("DONE"), 1_800_000);
                if (i < 0 || child.lines().get(i).startsWith("DONE")) {
                    return "no kill: finished first"; // or died: the exit code tells
                }
            }
            LockSupport.parkNanos(delay);
            what = String.format("kill %.3f ms after %s", delay / 1e6, child.lines().get(i));
        }
        child.kill();
        return what;
    }

    private static long lastStep(List<String> lines, String prefix) {
        long last = -1;
        for (String l : lines) {
            if (l.startsWith(prefix)) {
                last = Long.parseLong(l.substring(prefix.length()).trim());
            }
        }
        return last;
    }

    /** Temporary files and staging folders (names starting with '.') anywhere in the run folder. */
    private Set<Path> partialFiles() throws IOException {
        if (!Files.isDirectory(runDir)) {
            return Set.of();
        }
        try (Stream<Path> s = Files.walk(runDir)) {
            return s.filter(p -> p.getFileName().toString().startsWith(".")).collect(java.util.stream.Collectors.toSet());
        }
    }

    /** The checkpoints that verify against their manifests, newest first. */
    static List<Checkpointing.Checkpoint> goodCheckpoints(ModelFolder folder) throws IOException {
        List<Checkpointing.Checkpoint> good = new ArrayList<>();
        for (Checkpointing.Checkpoint c : Checkpointing.of(folder).list()) {
            try {
                Checkpointing.of(folder).verify(c);
                good.add(c);
            } catch (CheckpointException e) {
                // damaged or incomplete
            }
        }
        return good;
    }

    private static boolean isDamaged(ModelFolder folder, long step) {
        Path dir = folder.checkpointDir(step);
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try {
            Checkpointing.of(folder).verify(new Checkpointing.Checkpoint(step, dir));
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    /** Flips one byte in the middle of the checkpoint's weights file, as a lying disk would. */
    private static void damage(Checkpointing.Checkpoint c) throws IOException {
        Path f = c.dir().resolve(TrainingCheckpoint.MODEL);
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            long at = raf.length() / 2;
            raf.seek(at);
            int b = raf.read();
            raf.seek(at);
            raf.write(b ^ 0x40);
        }
        assertTrue(isDamaged(new ModelFolder(c.dir().getParent().getParent()), c.step()), "damage must be detected");
    }
}
