package org.diffusion4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.diffusion4j.diffusers.ModelFolder;
import org.diffusion4j.io.AtomicFiles;
import org.diffusion4j.io.CheckpointException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Training checkpoints: sealed by a manifest, never half-written, damaged ones skipped on resume and never kept in place of good ones. */
class CheckpointingTest {

    static final List<String> REQUIRED = List.of("a.bin.safetensors", "b.json");

    /** A checkpoint writer making two small files whose content depends on the step. */
    static Checkpointing.Writer files(long step) {
        return dir -> {
            AtomicFiles.write(dir.resolve("a.bin.safetensors"), ("weights of step " + step).getBytes(StandardCharsets.UTF_8));
            AtomicFiles.writeString(dir.resolve("b.json"), "{\"step\": " + step + "}");
        };
    }

    static List<String> hiddenEntries(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".")).toList();
        }
    }

    @Test
    void checkpointIsSealedByAManifestListingEveryFile(@TempDir Path tmp) throws IOException {
        ModelFolder f = new ModelFolder(tmp);
        Checkpointing ck = new Checkpointing(f, REQUIRED);
        Path dir = ck.write(7, files(7));
        assertEquals(tmp.resolve("training/step-7"), dir);
        CheckpointManifest m = CheckpointManifest.read(dir);
        assertEquals(7, m.step());
        assertEquals(CheckpointManifest.FORMAT_VERSION, m.formatVersion());
        assertEquals(List.of("a.bin.safetensors", "b.json"), new ArrayList<>(m.files().keySet()));
        assertEquals(CheckpointManifest.sha256(dir.resolve("b.json")), m.files().get("b.json").sha256());
        assertEquals(Files.size(dir.resolve("b.json")), m.files().get("b.json").bytes());
        // SHA-256 of a known string, as sha256sum prints it
        Path known = tmp.resolve("abc");
        Files.writeString(known, "abc");
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", CheckpointManifest.sha256(known));
        ck.verify(new Checkpointing.Checkpoint(7, dir));
        assertEquals(List.of(), hiddenEntries(f.trainingDir()), "no staging folder is left behind");
    }

    @Test
    void damagedCheckpointsAreNeverLoadedAndTheFallbackIsReported(@TempDir Path tmp) throws IOException {
        ModelFolder f = new ModelFolder(tmp);
        Checkpointing ck = new Checkpointing(f, REQUIRED);
        for (long s : new long[] {10, 20, 30, 40}) {
            ck.write(s, files(s));
        }
        Path flipped = tmp.resolve("training/step-40/a.bin.safetensors");
        byte[] b = Files.readAllBytes(flipped);
        b[0] ^= 0x20;
        Files.write(flipped, b);
        Files.delete(tmp.resolve("training/step-30/manifest.json"));
        Files.write(tmp.resolve("training/step-20/b.json"), "{\"step\": 2".getBytes(StandardCharsets.UTF_8));
        List<String> warnings = new ArrayList<>();
        Checkpointing.Checkpoint good = ck.newestGood(warnings::add).orElseThrow();
        assertEquals(10, good.step());
        assertEquals(3, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).contains("step-40") && warnings.get(0).contains("SHA-256")
                && warnings.get(0).contains("falling back to the previous one, step 30"), warnings.get(0));
        assertTrue(warnings.get(1).contains("step-30") && warnings.get(1).contains("manifest.json: missing"), warnings.get(1));
        assertTrue(warnings.get(2).contains("step-20") && warnings.get(2).contains("bytes, the manifest says"), warnings.get(2));
    }

    @Test
    void aManifestMustMatchItsFolderAndListTheRequiredFiles(@TempDir Path tmp) throws IOException {
        ModelFolder f = new ModelFolder(tmp);
        Checkpointing ck = new Checkpointing(f, REQUIRED);
        ck.write(5, files(5));
        Files.move(tmp.resolve("training/step-5"), tmp.resolve("training/step-6"));
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> ck.verify(ck.list().get(0)));
        assertTrue(e.getMessage().contains("does not match the folder name"), e.getMessage());
        ck.write(8, dir -> AtomicFiles.writeString(dir.resolve("b.json"), "{}"));
        e = assertThrows(CheckpointException.class, () -> ck.verify(ck.list().get(0)));
        assertTrue(e.getMessage().contains("does not list the required file a.bin.safetensors"), e.getMessage());
        Files.writeString(tmp.resolve("training/step-8/manifest.json"), "{\"format_version\": 1");
        e = assertThrows(CheckpointException.class, () -> ck.verify(ck.list().get(0)));
        assertTrue(e.getMessage().contains("not a valid manifest"), e.getMessage());
    }

    @Test
    void aFailedWriteLeavesThePreviousCheckpointUntouched(@TempDir Path tmp) throws IOException {
        ModelFolder f = new ModelFolder(tmp);
        Checkpointing ck = new Checkpointing(f, REQUIRED);
        ck.write(1, files(1));
        byte[] before = Files.readAllBytes(tmp.resolve("training/step-1/a.bin.safetensors"));
        // the disk fills up half-way through the second file
        CheckpointException e = assertThrows(CheckpointException.class, () -> ck.write(2, dir -> {
            files(2).write(dir);
            AtomicFiles.write(dir.resolve("c.bin"), out -> {
                out.write(new byte[100]);
                throw new IOException("No space left on device");
            });
        }));
        assertTrue(e.getMessage().contains("step-2") && e.getMessage().contains("No space left on device")
                && e.getMessage().contains("untouched"), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("training/step-2")));
        assertEquals(List.of(), hiddenEntries(f.trainingDir()));
        assertArrayEquals(before, Files.readAllBytes(tmp.resolve("training/step-1/a.bin.safetensors")));
        ck.verify(new Checkpointing.Checkpoint(1, tmp.resolve("training/step-1")));
        // the same for a failure to re-write an existing step: the old step-1 survives
        assertThrows(CheckpointException.class, () -> ck.write(1, dir -> {
            throw new IOException("Read-only file system");
        }));
        ck.verify(new Checkpointing.Checkpoint(1, tmp.resolve("training/step-1")));
    }

    @Test
    void anUnwritableFolderFailsLoudly(@TempDir Path tmp) throws IOException {
        Files.writeString(tmp.resolve("training"), "a file where the training folder should be");
        ModelFolder f = new ModelFolder(tmp);
        Checkpointing ck = new Checkpointing(f, REQUIRED);
        CheckpointException e = assertThrows(CheckpointException.class, () -> ck.write(3, files(3)));
        assertTrue(e.getMessage().contains("could not write checkpoint") && e.getMessage().contains("read-only"),
                e.getMessage());
    }

    @Test
    void rewritingAStepReplacesIt(@TempDir Path tmp) throws IOException {
        ModelFolder f = new ModelFolder(tmp);
        Checkpointing ck = new Checkpointing(f, REQUIRED);
        ck.write(4, files(4));
        ck.write(4, dir -> {
            AtomicFiles.write(dir.resolve("a.bin.safetensors"), "new".getBytes(StandardCharsets.UTF_8));
            AtomicFiles.writeString(dir.resolve("b.json"), "{}");
        });
        assertEquals("new", Files.readString(tmp.resolve("training/step-4/a.bin.safetensors")));
        ck.verify(ck.list().get(0));
        assertEquals(List.of(), hiddenEntries(f.trainingDir()));
    }

    @Test
    void pruneKeepsTheLastSealedCheckpoints(@TempDir Path tmp) throws IOException {
        ModelFolder f = new ModelFolder(tmp);
        Checkpointing ck = new Checkpointing(f, REQUIRED);
        for (long s = 1; s <= 5; s++) {
            ck.write(s * 100, files(s));
        }
        Files.delete(tmp.resolve("training/step-500/manifest.json")); // unsealed: does not count
        Files.createDirectories(tmp.resolve("training/.step-600.12345")); // a crashed write
        List<Path> deleted = ck.prune(2);
        assertEquals(List.of(500L, 400L, 300L), ck.list().stream().map(Checkpointing.Checkpoint::step).toList());
        assertEquals(3, deleted.size(), deleted.toString());
        assertEquals(List.of(), hiddenEntries(f.trainingDir()));
        assertThrows(IllegalArgumentException.class, () -> ck.prune(0));
    }

    @Test
    void aDamagedCheckpointNeverCountsAmongTheKeptOnes(@TempDir Path tmp) throws IOException {
        // a run fell back past a damaged step-30 to step-20 and has since saved step-25; with keep_last = 1
        // prune must keep step-25 (the newest good one), not count the damaged step-30 and delete it
        ModelFolder f = new ModelFolder(tmp);
        Checkpointing ck = new Checkpointing(f, REQUIRED);
        for (long s : new long[] {20, 30, 25}) {
            ck.write(s, files(s));
        }
        Path flipped = tmp.resolve("training/step-30/a.bin.safetensors");
        byte[] b = Files.readAllBytes(flipped);
        b[0] ^= 0x20;
        Files.write(flipped, b);
        ck.prune(1);
        Checkpointing.Checkpoint good = ck.newestGood(w -> {}).orElseThrow(() -> new AssertionError("prune deleted every good checkpoint"));
        assertEquals(25, good.step());
        assertEquals(List.of(30L, 25L), ck.list().stream().map(Checkpointing.Checkpoint::step).toList(),
                "the older good step-20 goes; the damaged newer one is left for the user to look at");
    }

    @Test
    void nonFiniteOptimizerStateAbortsTheCheckpoint(@TempDir Path tmp) throws IOException {
        Checkpointing ck = new Checkpointing(new ModelFolder(tmp), REQUIRED);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray nan = m.create(new float[] {Float.NaN});
            assertThrows(CheckpointException.class, () -> ck.write(1, dir ->
                    ModelFolder.requireFinite(Map.of("exp_avg.w", nan), dir.resolve("optimizer.safetensors"))));
            assertTrue(ck.list().isEmpty());
        }
    }
}
