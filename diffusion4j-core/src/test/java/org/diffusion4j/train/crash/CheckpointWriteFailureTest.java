package org.diffusion4j.train.crash;

import org.diffusion4j.train.TrainingCheckpoint;
import org.diffusion4j.train.TrainListener;
import org.diffusion4j.train.DiffusionTrainer;
import org.diffusion4j.train.Checkpointing;
import org.diffusion4j.train.CheckpointManifest;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.diffusion4j.diffusers.ModelFolder;
import org.diffusion4j.io.CheckpointException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A checkpoint save that the file system refuses (disk full, read-only folder, file size limit)
 * fails loudly, naming the path, and leaves every file already in the run folder byte for byte as
 * it was, with no temporary left behind. Real faults only, each from the kernel through the real
 * write path: "No space left on device" from a size-limited tmpfs filled to various levels,
 * "Read-only file system" from a remounted tmpfs (or a chmod-ed folder when not root), and "File too
 * large" from a child JVM under {@code ulimit -f}, which needs no privilege and so always runs.
 */
class CheckpointWriteFailureTest {

    private static final long SEED = 5;
    private static final long PAGE = 4096;

    @Test
    void aFullDiskAtAnyPointOfASaveLeavesEveryFileAsItWas(@TempDir Path tmp) throws Exception {
        try (TmpfsMount mount = TmpfsMount.mountOrSkip(tmp.resolve("tmpfs"), 8192);
                NDManager manager = NDManager.newBaseManager()) {
            Path root = mount.dir().resolve("run");
            DiffusionTrainer trainer = TrainingChild.trainer(manager, root, SEED, 1000, TrainListener.NONE);
            trainer.trainStep();
            trainer.saveCheckpoint();
            long oneSave = pagesOnDisk(root);
            long checkpointOnly = pagesOnDisk(new ModelFolder(root).checkpointDir(1));
            // Every tenth of a save's size, and one and two pages short of the checkpoint: the manifest
            // (written last) and the small files before it.
            java.util.SortedSet<Long> freeBytes = new java.util.TreeSet<>(List.of(checkpointOnly - PAGE,
                    checkpointOnly - 3 * PAGE));
            for (int tenths = 0; tenths <= 12; tenths++) {
                freeBytes.add(oneSave * tenths / 10);
            }
            Path filler = mount.dir().resolve("filler");
            List<String> outcomes = new ArrayList<>();
            int inCheckpoint = 0;
            int inExport = 0;
            int saved = 0;
            for (long free : freeBytes) {
                Map<Path, byte[]> before = snapshot(root);
                fill(filler, Files.getFileStore(mount.dir()).getUsableSpace() - free);
                trainer.trainStep();
                boolean ok = false;
                try {
                    trainer.saveCheckpoint();
                    ok = true;
                    saved++;
                    outcomes.add(free / 1024 + " kB free: saved step " + trainer.step());
                } catch (IOException e) {
                    String message = e.getMessage();
                    assertTrue(message.contains(root.toString()), "the error names the path: " + message);
                    assertTrue(causes(e).contains("No space left on device"), "the error says why: " + causes(e));
                    boolean checkpoint = e instanceof CheckpointException
                            && message.contains(new ModelFolder(root).checkpointDir(trainer.step()).toString());
                    inCheckpoint += checkpoint ? 1 : 0;
                    inExport += checkpoint ? 0 : 1;
                    outcomes.add(free / 1024 + " kB free: " + message);
                }
                assertUntouched(before, root, free / 1024 + " kB free", ok);
                Files.delete(filler);
            }
            System.out.println("disk full (tmpfs, one save takes " + oneSave / 1024 + " kB):\n  "
                    + String.join("\n  ", outcomes));
            for (String file : List.of(TrainingCheckpoint.MODEL, TrainingCheckpoint.EMA, TrainingCheckpoint.OPTIMIZER,
                    CheckpointManifest.FILE_NAME)) {
                assertTrue(outcomes.stream().anyMatch(o -> o.contains("/" + file + ": could not be written")),
                        "the sweep should fail a save while writing " + file + ": " + outcomes);
            }
            assertTrue(inCheckpoint >= 3, "the sweep should hit the checkpoint write at several points: " + outcomes);
            assertTrue(inExport >= 1, "the sweep should hit the export of the model after the checkpoint: " + outcomes);
            assertTrue(saved >= 1, "with room enough the save succeeds: " + outcomes);
        }
    }

    @Test
    void aReadOnlyFolderFailsLoudlyAndKeepsEveryFile(@TempDir Path tmp) throws Exception {
        if (canWriteReadOnlyFolders(tmp)) { // root: chmod does not stop it, a read-only mount does
            try (TmpfsMount mount = TmpfsMount.mountOrSkip(tmp.resolve("tmpfs"), 8192)) {
                readOnlyCase(mount.dir().resolve("run"), readOnly -> mount.setReadOnly(readOnly));
            }
        } else {
            readOnlyCase(tmp.resolve("run"), readOnly -> setWritableTree(tmp.resolve("run"), !readOnly));
        }
    }

    private interface ReadOnlySwitch {
        void set(boolean readOnly) throws Exception;
    }

    private static void readOnlyCase(Path root, ReadOnlySwitch readOnly) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            DiffusionTrainer trainer = TrainingChild.trainer(manager, root, SEED, 1000, TrainListener.NONE);
            trainer.trainStep();
            trainer.saveCheckpoint();
            Map<Path, byte[]> before = snapshot(root);
            readOnly.set(true);
            try {
                trainer.trainStep();
                CheckpointException e = assertThrows(CheckpointException.class, trainer::saveCheckpoint);
                System.out.println("read-only folder: " + e.getMessage());
                assertTrue(e.getMessage().contains(new ModelFolder(root).checkpointDir(2).toString()), e.getMessage());
                assertTrue(e.getMessage().contains("read-only"), e.getMessage());
                assertUntouched(before, root, "read-only");
                // Reading still works: a new trainer resumes from the untouched checkpoint.
                try (NDManager m2 = NDManager.newBaseManager()) {
                    DiffusionTrainer again = TrainingChild.trainer(m2, root, SEED, 1000, TrainListener.NONE);
                    assertTrue(again.resume());
                    assertEquals(1, again.step());
                }
            } finally {
                readOnly.set(false);
            }
        }
    }

    @Test
    void aFileSizeLimitStopsTheSaveMidCheckpointAndKeepsEveryFile(@TempDir Path tmp) throws Exception {
        Assumptions.assumeTrue(System.getProperty("os.name").startsWith("Linux") && Files.isExecutable(Path.of("/bin/bash")),
                "needs bash's ulimit (RLIMIT_FSIZE)");
        Path root = tmp.resolve("run");
        try (NDManager manager = NDManager.newBaseManager()) { // also unpacks the natives before a limited child runs
            DiffusionTrainer trainer = TrainingChild.trainer(manager, root, SEED, 1000, TrainListener.NONE);
            trainer.trainStep();
            trainer.saveCheckpoint();
        }
        Path step1 = new ModelFolder(root).checkpointDir(1);
        long model = Files.size(step1.resolve(TrainingCheckpoint.MODEL));
        long optimizer = Files.size(step1.resolve(TrainingCheckpoint.OPTIMIZER));
        long limitKb = (model + optimizer) / 2 / 1024; // weights and EMA fit, the moments do not
        Map<Path, byte[]> before = snapshot(root);
        ChildJvm child = ChildJvm.startUnder("ulimit -f " + limitKb, SaveOnceChild.class, tmp.resolve("child.err"),
                root.toString(), Long.toString(SEED));
        assertEquals(0, child.waitFor(1800), child.stderrTail()); // a hang guard only
        String line = child.lines().isEmpty() ? "" : child.lines().get(child.lines().size() - 1);
        System.out.println("file size limit " + limitKb + " kB: " + line);
        assertTrue(line.startsWith("FAILED "), child.lines() + "\n" + child.stderrTail());
        assertTrue(line.contains(new ModelFolder(root).checkpointDir(2).toString()), line);
        assertTrue(line.contains("File too large"), line);
        assertUntouched(before, root, "file size limit");
    }

    // ------------------------------------------------------------------ helpers

    /** Every regular file under {@code root} and its bytes. */
    static Map<Path, byte[]> snapshot(Path root) throws IOException {
        Map<Path, byte[]> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                if (Files.isRegularFile(p)) {
                    out.put(root.relativize(p), Files.readAllBytes(p));
                }
            }
        }
        return out;
    }

    /**
     * Every file of {@code before} is there with the same bytes; no temporary or staging folder is
     * left; anything new is a complete checkpoint (it verifies against its manifest).
     */
    static void assertUntouched(Map<Path, byte[]> before, Path root, String what) throws IOException {
        assertUntouched(before, root, what, false);
    }

    /**
     * As above; after a successful save ({@code saved}) only the old checkpoints are compared (the
     * exported model is the new one), and those pruned by keep_last may be gone as a whole.
     */
    static void assertUntouched(Map<Path, byte[]> before, Path root, String what, boolean saved) throws IOException {
        Map<Path, byte[]> after = snapshot(root);
        for (Map.Entry<Path, byte[]> e : before.entrySet()) {
            boolean checkpointFile = e.getKey().startsWith(ModelFolder.TRAINING) && e.getKey().getNameCount() == 3;
            if (saved && (!checkpointFile || !Files.exists(root.resolve(e.getKey().getParent())))) {
                continue;
            }
            assertTrue(after.containsKey(e.getKey()), what + ": " + e.getKey() + " is gone");
            assertArrayEquals(e.getValue(), after.get(e.getKey()), what + ": " + e.getKey() + " changed");
        }
        try (Stream<Path> s = Files.walk(root)) {
            List<Path> debris = s.filter(p -> p.getFileName().toString().startsWith(".")).toList();
            assertEquals(List.of(), debris, what + ": temporaries left behind");
        }
        ModelFolder folder = new ModelFolder(root);
        for (Path p : after.keySet()) {
            if (!before.containsKey(p)) {
                assertEquals(ModelFolder.TRAINING, p.getName(0).toString(), what + ": unexpected new file " + p);
                long step = Long.parseLong(p.getName(1).toString().substring("step-".length()));
                Checkpointing.of(folder).verify(new Checkpointing.Checkpoint(step, folder.checkpointDir(step)));
            }
        }
    }

    /** The file system pages the files under {@code root} occupy. */
    private static long pagesOnDisk(Path root) throws IOException {
        long total = 0;
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                if (Files.isRegularFile(p)) {
                    total += (Files.size(p) + PAGE - 1) / PAGE * PAGE;
                }
            }
        }
        return total;
    }

    /** Writes {@code bytes} zeros (really written: tmpfs does not allocate holes), or as many as fit. */
    private static void fill(Path file, long bytes) throws IOException {
        byte[] zeros = new byte[1 << 16];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long left = bytes; left > 0; left -= zeros.length) {
                out.write(zeros, 0, (int) Math.min(left, zeros.length));
            }
        } catch (IOException e) {
            if (!String.valueOf(e.getMessage()).contains("No space left")) {
                throw e;
            }
        }
    }

    private static String causes(Throwable e) {
        StringBuilder sb = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            sb.append(t).append(" <- ");
        }
        return sb.toString();
    }

    /** Whether this user can write into a folder without write permission (root can). */
    private static boolean canWriteReadOnlyFolders(Path tmp) throws IOException {
        Path probe = Files.createDirectories(tmp.resolve("probe"));
        probe.toFile().setWritable(false, false);
        try {
            return Files.isWritable(probe);
        } finally {
            probe.toFile().setWritable(true);
        }
    }

    private static void setWritableTree(Path root, boolean writable) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                if (Files.isDirectory(p)) {
                    p.toFile().setWritable(writable, false);
                }
            }
        }
    }
}
