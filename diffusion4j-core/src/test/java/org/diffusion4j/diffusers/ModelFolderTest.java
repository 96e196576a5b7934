package org.diffusion4j.diffusers;

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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.diffusion4j.io.CheckpointException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ModelFolderTest {

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
