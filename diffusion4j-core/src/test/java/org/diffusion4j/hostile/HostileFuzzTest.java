package org.diffusion4j.hostile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutation fuzzing of the readers of strangers' files, from the valid seeds of the corpus. The
 * default run is deterministic (fixed seeds, fixed iteration counts) and short; the long run
 * ({@code @Tag("long")}, excluded by default) fuzzes each target for
 * {@code -Dhostile.fuzz.seconds} (default 120) from {@code -Dhostile.fuzz.seed} (default 2), optionally only the
 * targets named in {@code -Dhostile.fuzz.targets} (comma-separated: safetensors, idx, idx-in-gzip, unet-config,
 * image-folder):
 * {@code mvn -B -o -pl diffusion4j-core verify -Dgroups=long -DexcludedGroups= -Dtest=HostileFuzzTest}.
 * Failing inputs are written to {@code diffusion4j-core/target/fuzz-failures/}; reports are appended
 * to {@code target/fuzz-report.txt}.
 */
class HostileFuzzTest {
    @TempDir Path tempDir;
    private Path work;

    /**
     * Mutants are written to a file per input (the readers take paths): on tmpfs ({@code /dev/shm})
     * when there is one, since a disk-backed temp dir made writes ~25x slower than parsing here.
     */
    @BeforeEach
    void workDir() throws IOException {
        Path shm = Path.of("/dev/shm");
        work = Files.isDirectory(shm) && Files.isWritable(shm) ? Files.createTempDirectory(shm, "hostile-fuzz") : tempDir;
    }

    @AfterEach
    void cleanUp() throws IOException {
        if (!work.equals(tempDir)) {
            try (var files = Files.walk(work)) {
                for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    static Fuzzer.Target safetensors() {
        return new Fuzzer.Target("safetensors", Parser.SAFETENSORS, Mutator.Format.SAFETENSORS, "fuzz.safetensors",
                List.of(HostileCorpus.validSafetensors(), Bytes.st("{}", new byte[0]),
                        Bytes.st("{" + Bytes.entry("a", "F32", "[2]", 0, 8) + "," + Bytes.entry("b", "U8", "[0]", 8, 8) + "}",
                                new byte[8])), null);
    }

    static Fuzzer.Target idx() {
        return new Fuzzer.Target("idx", Parser.IDX, Mutator.Format.IDX, "fuzz.idx", List.of(HostileCorpus.validIdxImages(),
                HostileCorpus.validIdxLabels(), Bytes.gzipStored(HostileCorpus.validIdxImages())), null);
    }

    /** IDX mutants wrapped in a valid gzip stream, so that the mutations reach the IDX parser behind gzip. */
    static Fuzzer.Target idxInGzip() {
        return new Fuzzer.Target("idx-in-gzip", Parser.IDX, Mutator.Format.IDX, "fuzz.idx.gz",
                List.of(HostileCorpus.validIdxImages(), HostileCorpus.validIdxLabels()), Bytes::gzipStored);
    }

    static Fuzzer.Target unetConfig() {
        return new Fuzzer.Target("unet-config", Parser.UNET_CONFIG, Mutator.Format.JSON, "config.json",
                List.of(HostileCorpus.validConfig()), null);
    }

    /** PNG (gray, RGB, RGBA; stored IDAT so mutations land in pixel data) and a JPEG, read as a one-image folder. */
    static Fuzzer.Target imageFolder() {
        return new Fuzzer.Target("image-folder", Parser.IMAGE_FOLDER, Mutator.Format.IMAGE, "images/fuzz.png",
                List.of(Bytes.png(8, 8, 3), Bytes.png(4, 4, 1), Bytes.png(4, 6, 4), HostileCorpus.validJpeg()), null);
    }

    private static Path failureDir() {
        return Corpus.repoRoot().resolve("diffusion4j-core/target/fuzz-failures");
    }

    private Fuzzer.Report fuzz(Fuzzer.Target t, long seed, int iterations, Duration budget) {
        Fuzzer.Report r = Fuzzer.run(t, seed, iterations, budget, work, failureDir());
        System.out.println(r);
        try {
            Path log = Corpus.repoRoot().resolve("diffusion4j-core/target/fuzz-report.txt");
            Files.createDirectories(log.getParent());
            Files.writeString(log, r + "\n" + Fuzzer.kinds(r), StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        assertEquals(List.of(), r.failures(), "inputs that escaped the declared exceptions: " + r);
        return r;
    }

    /** The default budget: a fixed number of iterations, with a wall-clock cap for a loaded machine. */
    private void quick(Fuzzer.Target t, long seed, int iterations) {
        Fuzzer.Report r = fuzz(t, seed, iterations, Duration.ofSeconds(6));
        // the fuzzer must reach both sides of the parser, or it is not testing much
        assertTrue(r.parsed() > 0, "no mutant parsed: " + r);
        assertTrue(r.refused() > r.iterations() / 4, "too few refusals: " + r);
    }

    @Test
    void safetensorsMutantsParseOrAreRefused() {
        quick(safetensors(), 1, 12_000);
    }

    @Test
    void idxMutantsParseOrAreRefused() {
        quick(idx(), 1, 8000);
        quick(idxInGzip(), 1, 5000);
    }

    @Test
    void unetConfigMutantsParseOrAreRefused() {
        quick(unetConfig(), 1, 3000);
    }

    @Test
    void imageMutantsAreReadOrRefused() {
        quick(imageFolder(), 1, 1500);
    }

    @Test
    @Tag("long")
    void longFuzz() {
        long seed = Long.getLong("hostile.fuzz.seed", 2);
        Duration budget = Duration.ofSeconds(Long.getLong("hostile.fuzz.seconds", 120));
        String only = System.getProperty("hostile.fuzz.targets", ""); // e.g. "safetensors,idx"
        for (Fuzzer.Target t : List.of(safetensors(), idx(), idxInGzip(), unetConfig(), imageFolder())) {
            if (only.isBlank() || List.of(only.split(",")).contains(t.name())) {
                fuzz(t, seed, Integer.MAX_VALUE, budget);
            }
        }
    }
}
