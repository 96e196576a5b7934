package org.diffusion4j.train.crash;

import org.diffusion4j.train.Checkpointing;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.diffusion4j.diffusers.ModelFolder;
import org.diffusion4j.io.AtomicFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A process killed in the middle of an atomic write leaves its temporary behind (the kill harness
 * sees them in about one kill in three); pruning after the next checkpoint removes them, and only
 * them.
 */
class InterruptedWriteCleanupTest {

    @Test
    void pruneRemovesTheTemporariesOfKilledWritesAndNothingElse(@TempDir Path tmp) throws IOException {
        ModelFolder folder = new ModelFolder(tmp);
        Checkpointing.of(folder).write(2, dir -> Files.writeString(dir.resolve("a.bin"), "a"));
        Files.createDirectories(folder.unetDir());
        Files.createDirectories(folder.schedulerConfigFile().getParent());
        List<Path> debris = List.of(folder.unetDir().resolve(".diffusion_pytorch_model.safetensors.8123947712.tmp"),
                tmp.resolve(".metrics.jsonl.77.tmp"), tmp.resolve(".loss.png.5.tmp"),
                folder.schedulerConfigFile().getParent().resolve(".scheduler_config.json.123.tmp"));
        List<Path> kept = List.of(tmp.resolve(".gitignore"), tmp.resolve("notes.tmp"), tmp.resolve(".x.tmp"),
                folder.unetDir().resolve(".cache.12.tmp.bak"));
        for (Path p : debris) {
            assertTrue(AtomicFiles.isTemporary(p), p.toString());
            Files.writeString(p, "partial");
        }
        for (Path p : kept) {
            assertFalse(AtomicFiles.isTemporary(p), p.toString());
            Files.writeString(p, "mine");
        }
        List<Path> deleted = Checkpointing.of(folder).prune(3);
        assertEquals(Set.copyOf(debris), Set.copyOf(deleted));
        for (Path p : kept) {
            assertEquals("mine", Files.readString(p), p + " is not ours to delete");
        }
        assertEquals(List.of(2L), Checkpointing.of(folder).list().stream().map(Checkpointing.Checkpoint::step)
                .collect(Collectors.toList()));
    }
}
