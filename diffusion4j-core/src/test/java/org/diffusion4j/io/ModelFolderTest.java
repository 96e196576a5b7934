package org.diffusion4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ModelFolderTest {

    static final List<String> REQUIRED = List.of("a.bin.safetensors", "b.json");

    /** A checkpoint writer making two small files whose content depends on the step. */
    static ModelFolder.CheckpointWriter files(long step) {
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
    void modelIndexIsTheDdpmPipelines() throws IOException {
        assertEquals(JsonParser.parseString("{\"_class_name\":\"DDPMPipeline\",\"_diffusers_version\":\"0.31.0\","
                + "\"scheduler\":[\"diffusers\",\"DDPMScheduler\"],\"unet\":[\"diffusers\",\"UNet2DModel\"]}"),
                JsonParser.parseString(ModelFolder.ddpmModelIndexJson()));
    }

    @Test
    void diffusersLayoutIsChecked(@TempDir Path tmp) throws IOException {
        ModelFolder f = new ModelFolder(tmp);
        CheckpointException e = assertThrows(CheckpointException.class, f::requireDiffusersLayout);
        assertTrue(e.getMessage().contains("model_index.json: missing"), e.getMessage());
        f.writeModelIndex();
        e = assertThrows(CheckpointException.class, f::requireDiffusersLayout);
        assertTrue(e.getMessage().contains("config.json: missing"), e.getMessage());
        try (NDManager m = NDManager.newBaseManager()) {
            f.writeUnet("{}\n", Map.of("w", m.create(new float[] {1f})));
        }
        e = assertThrows(CheckpointException.class, f::requireDiffusersLayout);
        assertTrue(e.getMessage().contains("scheduler_config.json: missing"), e.getMessage());
        f.writeSchedulerConfig("{}\n");
        f.requireDiffusersLayout();
    }

    @Test
    void checkpointIsSealedByAManifestListingEveryFile(@TempDir Path tmp) throws IOException {
        ModelFolder f = new ModelFolder(tmp);
        Path dir = f.writeCheckpoint(7, files(7));
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
        f.verifyCheckpoint(new ModelFolder.Checkpoint(7, dir), REQUIRED);
        assertEquals(List.of(), hiddenEntries(f.trainingDir()), "no staging folder is left behind");
    }

    @Test
    void damagedCheckpointsAreNeverLoadedAndTheFallbackIsReported(@TempDir Path tmp) throws IOException {
        ModelFolder f = new ModelFolder(tmp);
        for (long s : new long[] {10, 20, 30, 40}) {
            f.writeCheckpoint(s, files(s));
        }
        Path flipped = tmp.resolve("training/step-40/a.bin.safetensors");
        byte[] b = Files.readAllBytes(flipped);
        b[0] ^= 0x20;
        Files.write(flipped, b);
        Files.delete(tmp.resolve("training/step-30/manifest.json"));
        Files.write(tmp.resolve("training/step-20/b.json"), "{\"step\": 2".getBytes(StandardCharsets.UTF_8));
        List<String> warnings = new ArrayList<>();
        ModelFolder.Checkpoint good = f.newestGoodCheckpoint(REQUIRED, warnings::add).orElseThrow();
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
        f.writeCheckpoint(5, files(5));
        Files.move(tmp.resolve("training/step-5"), tmp.resolve("training/step-6"));
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> f.verifyCheckpoint(f.listCheckpoints().get(0), REQUIRED));
        assertTrue(e.getMessage().contains("does not match the folder name"), e.getMessage());
        f.writeCheckpoint(8, dir -> AtomicFiles.writeString(dir.resolve("b.json"), "{}"));
        e = assertThrows(CheckpointException.class, () -> f.verifyCheckpoint(f.listCheckpoints().get(0), REQUIRED));
        assertTrue(e.getMessage().contains("does not list the required file a.bin.safetensors"), e.getMessage());
        Files.writeString(tmp.resolve("training/step-8/manifest.json"), "{\"format_version\": 1");
        e = assertThrows(CheckpointException.class, () -> f.verifyCheckpoint(f.listCheckpoints().get(0), REQUIRED));
        assertTrue(e.getMessage().contains("not a valid manifest"), e.getMessage());
    }

    @Test
    void aFailedWriteLeavesThePreviousCheckpointUntouched(@TempDir Path tmp) throws IOException {
        ModelFolder f = new ModelFolder(tmp);
        f.writeCheckpoint(1, files(1));
        byte[] before = Files.readAllBytes(tmp.resolve("training/step-1/a.bin.safetensors"));
        // the disk fills up half-way through the second file
        CheckpointException e = assertThrows(CheckpointException.class, () -> f.writeCheckpoint(2, dir -> {
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
        f.verifyCheckpoint(new ModelFolder.Checkpoint(1, tmp.resolve("training/step-1")), REQUIRED);
        // the same for a failure to re-write an existing step: the old step-1 survives
        assertThrows(CheckpointException.class, () -> f.writeCheckpoint(1, dir -> {
            throw new IOException("Read-only file system");
        }));
        f.verifyCheckpoint(new ModelFolder.Checkpoint(1, tmp.resolve("training/step-1")), REQUIRED);
    }

    @Test
    void anUnwritableFolderFailsLoudly(@TempDir Path tmp) throws IOException {
        Files.writeString(tmp.resolve("training"), "a file where the training folder should be");
        ModelFolder f = new ModelFolder(tmp);
        CheckpointException e = assertThrows(CheckpointException.class, () -> f.writeCheckpoint(3, files(3)));
        assertTrue(e.getMessage().contains("could not write checkpoint") && e.getMessage().contains("read-only"),
                e.getMessage());
    }

    @Test
    void rewritingAStepReplacesIt(@TempDir Path tmp) throws IOException {
        ModelFolder f = new ModelFolder(tmp);
        f.writeCheckpoint(4, files(4));
        f.writeCheckpoint(4, dir -> {
            AtomicFiles.write(dir.resolve("a.bin.safetensors"), "new".getBytes(StandardCharsets.UTF_8));
            AtomicFiles.writeString(dir.resolve("b.json"), "{}");
        });
        assertEquals("new", Files.readString(tmp.resolve("training/step-4/a.bin.safetensors")));
        f.verifyCheckpoint(f.listCheckpoints().get(0), REQUIRED);
        assertEquals(List.of(), hiddenEntries(f.trainingDir()));
    }

    @Test
    void pruneKeepsTheLastSealedCheckpoints(@TempDir Path tmp) throws IOException {
        ModelFolder f = new ModelFolder(tmp);
        for (long s = 1; s <= 5; s++) {
            f.writeCheckpoint(s * 100, files(s));
        }
        Files.delete(tmp.resolve("training/step-500/manifest.json")); // unsealed: does not count
        Files.createDirectories(tmp.resolve("training/.step-600.12345")); // a crashed write
        List<Path> deleted = f.pruneCheckpoints(2);
        assertEquals(List.of(500L, 400L, 300L), f.listCheckpoints().stream().map(ModelFolder.Checkpoint::step).toList());
        assertEquals(3, deleted.size(), deleted.toString());
        assertEquals(List.of(), hiddenEntries(f.trainingDir()));
        assertThrows(IllegalArgumentException.class, () -> f.pruneCheckpoints(0));
    }

    @Test
    void nonFiniteWeightsAreNeverSaved(@TempDir Path tmp) throws IOException {
        ModelFolder f = new ModelFolder(tmp);
        try (NDManager m = NDManager.newBaseManager()) {
            f.writeUnet("{}\n", Map.of("w", m.create(new float[] {1f, 2f})));
            byte[] before = Files.readAllBytes(f.unetWeightsFile());
            NDArray bad = m.create(new float[] {1f, Float.POSITIVE_INFINITY, 3f});
            CheckpointException e = assertThrows(CheckpointException.class,
                    () -> f.writeUnet("{\"changed\": true}\n", Map.of("w", m.create(new float[] {0f}), "conv.weight", bad)));
            assertTrue(e.getMessage().contains("conv.weight") && e.getMessage().contains("Infinity")
                    && e.getMessage().contains("element 1"), e.getMessage());
            assertArrayEquals(before, Files.readAllBytes(f.unetWeightsFile()));
            assertEquals("{}\n", Files.readString(f.unetConfigFile()));
            NDArray nan = m.create(new float[] {Float.NaN});
            assertThrows(CheckpointException.class, () -> f.writeCheckpoint(1, dir ->
                    ModelFolder.requireFinite(Map.of("exp_avg.w", nan), dir.resolve("optimizer.safetensors"))));
            assertTrue(f.listCheckpoints().isEmpty());
        }
    }

    // ------------------------------------------------------------------ class names (id2label)

    static final Path SHIPPED_MODEL = Path.of(System.getProperty("diffusion4j.root", "..")).resolve("models/fashion-mnist-ddpm-uncond");

    @Test
    void classNamesAreWrittenAsId2labelNextToTheUnchangedPipelineEntries() {
        JsonObject plain = JsonParser.parseString(ModelFolder.ddpmModelIndexJson()).getAsJsonObject();
        assertEquals(plain, JsonParser.parseString(ModelFolder.ddpmModelIndexJson(List.of())), "no names, no id2label");
        assertFalse(plain.has(ModelFolder.ID2LABEL));
        JsonObject named = JsonParser.parseString(ModelFolder.ddpmModelIndexJson(List.of("T-shirt/top", "Trouser")))
                .getAsJsonObject();
        assertEquals(JsonParser.parseString("{\"0\": \"T-shirt/top\", \"1\": \"Trouser\"}"), named.remove("id2label"));
        assertEquals(plain, named, "everything but id2label is the DDPMPipeline index");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModelFolder.ddpmModelIndexJson(java.util.Arrays.asList("a", null)));
        assertTrue(e.getMessage().contains("class name 1 is null"), e.getMessage());
    }

    @Test
    void classNamesRoundTripThroughModelIndex(@TempDir Path tmp) throws IOException {
        ModelFolder f = new ModelFolder(tmp);
        List<String> names = List.of("T-shirt/top", "Ankle boot", "\"quoted\" \\ back", "Käfer 🐞", "");
        f.writeModelIndex(names);
        assertEquals(names, f.readClassNames());
        List<String> many = java.util.stream.IntStream.range(0, 1000).mapToObj(i -> "class " + i).toList();
        f.writeModelIndex(many);
        assertEquals(many, f.readClassNames(), "ids 10..999 sort after 1 as strings; the order comes from the ids");
        f.writeModelIndex();
        assertEquals(List.of(), f.readClassNames(), "an unconditional model's index has no names");
    }

    @Test
    void aFolderWrittenBeforeClassNamesExistedReadsAsEmpty(@TempDir Path tmp) throws IOException {
        // the index every earlier version wrote, byte for byte
        Files.writeString(tmp.resolve(ModelFolder.MODEL_INDEX), "{\n  \"_class_name\": \"DDPMPipeline\",\n"
                + "  \"_diffusers_version\": \"0.31.0\",\n  \"scheduler\": [\n    \"diffusers\",\n    \"DDPMScheduler\"\n  ],\n"
                + "  \"unet\": [\n    \"diffusers\",\n    \"UNet2DModel\"\n  ]\n}\n");
        assertEquals(List.of(), new ModelFolder(tmp).readClassNames());
        Files.writeString(tmp.resolve(ModelFolder.MODEL_INDEX), "{\"_class_name\": \"DDPMPipeline\", \"id2label\": null}");
        assertEquals(List.of(), new ModelFolder(tmp).readClassNames(), "null (Python's None) is no names");
    }

    @Test
    void theShippedModelHasNoClassNames() throws IOException {
        assumeTrue(Files.isRegularFile(SHIPPED_MODEL.resolve(ModelFolder.MODEL_INDEX)), "no shipped model at " + SHIPPED_MODEL);
        ModelFolder f = new ModelFolder(SHIPPED_MODEL);
        assertFalse(Files.readString(f.modelIndexFile()).contains(ModelFolder.ID2LABEL));
        f.requireDiffusersLayout();
        assertEquals(List.of(), f.readClassNames());
    }

    /** A hostile {@code id2label} is refused naming the file and the field; the expected fragment says why. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "[\"a\", \"b\"]                  | must be an object",
        "\"a,b\"                         | must be an object",
        "7                               | must be an object",
        "{\"0\": \"a\", \"2\": \"c\"}          | id \"1\" is missing",
        "{\"1\": \"a\", \"2\": \"b\"}          | id \"0\" is missing",
        "{\"0\": \"a\", \"x\": \"b\"}          | id \"1\" is missing",
        "{\"0\": \"a\", \"-1\": \"b\"}         | id \"1\" is missing",
        "{\"00\": \"a\"}                   | id \"0\" is missing",
        "{\"0\": 3}                      | id \"0\" is not a string but 3",
        "{\"0\": \"a\", \"1\": null}         | id \"1\" is not a string but null",
        "{\"0\": {\"name\": \"a\"}}          | id \"0\" is not a string",
        "{\"0\": [\"a\"]}                  | id \"0\" is not a string",
        "{\"0\": true}                   | id \"0\" is not a string",
    })
    void hostileId2labelIsRefusedNamingTheFileAndTheField(String id2label, String expected, @TempDir Path tmp)
            throws IOException {
        ModelFolder f = new ModelFolder(tmp);
        Files.writeString(f.modelIndexFile(), "{\"_class_name\": \"DDPMPipeline\", \"id2label\": " + id2label + "}");
        CheckpointException e = assertThrows(CheckpointException.class, f::readClassNames);
        assertTrue(e.getMessage().startsWith(f.modelIndexFile() + ": field \"id2label\""), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void anAbsurdNumberOfClassNamesIsRefused(@TempDir Path tmp) throws IOException {
        ModelFolder f = new ModelFolder(tmp);
        StringBuilder sb = new StringBuilder("{\"_class_name\": \"DDPMPipeline\", \"id2label\": {");
        for (int i = 0; i <= ModelFolder.MAX_CLASS_NAMES; i++) {
            sb.append(i == 0 ? "" : ",").append('"').append(i).append("\":\"c\"");
        }
        Files.writeString(f.modelIndexFile(), sb.append("}}"));
        CheckpointException e = assertThrows(CheckpointException.class, f::readClassNames);
        assertTrue(e.getMessage().startsWith(f.modelIndexFile() + ": field \"id2label\" has 100001 classes, more than "
                + "the 100000 accepted"), e.getMessage());
        List<String> tooMany = java.util.Collections.nCopies(ModelFolder.MAX_CLASS_NAMES + 1, "c");
        assertThrows(IllegalArgumentException.class, () -> ModelFolder.ddpmModelIndexJson(tooMany), "nor is it written");
        // a model index larger than 16 MiB is refused before it is read
        Files.write(f.modelIndexFile(), new byte[(int) ModelFolder.MAX_MODEL_INDEX_BYTES + 1]);
        e = assertThrows(CheckpointException.class, f::readClassNames);
        assertTrue(e.getMessage().startsWith(f.modelIndexFile() + ": 16777217 bytes, more than"), e.getMessage());
    }

    @Test
    void aDamagedOrMissingModelIndexIsRefusedNamingTheFile(@TempDir Path tmp) throws IOException {
        ModelFolder f = new ModelFolder(tmp);
        CheckpointException e = assertThrows(CheckpointException.class, f::readClassNames);
        assertTrue(e.getMessage().startsWith(f.modelIndexFile() + ": missing"), e.getMessage());
        for (String text : new String[] {"", "[1, 2]", "\"DDPMPipeline\"", "{\"id2label\": {\"0\": \"a\"", "not json"}) {
            Files.writeString(f.modelIndexFile(), text);
            e = assertThrows(CheckpointException.class, f::readClassNames, text);
            assertTrue(e.getMessage().startsWith(f.modelIndexFile() + ": not a JSON object"), e.getMessage());
        }
        Files.write(f.modelIndexFile(), new byte[] {'{', '"', (byte) 0xFF, '"', ':', '1', '}'});
        e = assertThrows(CheckpointException.class, f::readClassNames);
        assertTrue(e.getMessage().startsWith(f.modelIndexFile() + ": not UTF-8"), e.getMessage());
    }
}
