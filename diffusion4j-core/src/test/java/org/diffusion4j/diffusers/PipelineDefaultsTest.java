package org.diffusion4j.diffusers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.diffusion4j.io.CheckpointException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The private {@code "_diffusion4j"} entry of {@code model_index.json}: read, refused when wrong, kept on rewrite. */
class PipelineDefaultsTest {

    @TempDir
    Path dir;

    private ModelFolder indexWith(String entry) throws IOException {
        Files.writeString(dir.resolve(ModelFolder.MODEL_INDEX), "{\n  \"_class_name\": \"StableDiffusionPipeline\",\n"
                + (entry == null ? "" : "  \"_diffusion4j\": " + entry + ",\n") + "  \"unet\": [\"diffusers\", \"UNet2DConditionModel\"]\n}\n",
                StandardCharsets.UTF_8);
        return new ModelFolder(dir);
    }

    @Test
    void aFolderWithoutTheEntryHasNoDefaults() throws IOException {
        assertEquals(PipelineDefaults.NONE, PipelineDefaults.read(new ModelFolder(dir)), "no model_index.json");
        assertEquals(PipelineDefaults.NONE, PipelineDefaults.read(indexWith(null)));
        assertEquals(PipelineDefaults.NONE, PipelineDefaults.read(indexWith("null")));
        assertEquals(PipelineDefaults.NONE, PipelineDefaults.read(indexWith("{}")));
    }

    @Test
    void theGuidanceScaleIsRead() throws IOException {
        assertEquals(4.0, PipelineDefaults.read(indexWith("{\"guidance_scale\": 4}")).guidanceScale());
        assertEquals(1.5, PipelineDefaults.read(indexWith("{\"guidance_scale\": 1.5}")).guidanceScale());
        assertEquals(0.0, PipelineDefaults.read(indexWith("{\"guidance_scale\": 0}")).guidanceScale());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "4                         | \"_diffusion4j\" must be an object",
        "[4]                       | \"_diffusion4j\" must be an object",
        "{\"guidance\": 4}         | unknown field \"_diffusion4j.guidance\"",
        "{\"guidance_scale\": -1}  | \"_diffusion4j.guidance_scale\" must be a finite number >= 0",
        "{\"guidance_scale\": \"4\"} | \"_diffusion4j.guidance_scale\" must be a finite number >= 0",
        "{\"guidance_scale\": NaN} | \"_diffusion4j.guidance_scale\" must be a finite number >= 0",
        "{\"guidance_scale\": 1e999} | \"_diffusion4j.guidance_scale\" must be a finite number >= 0",
    })
    void aWrongEntryIsRefusedNamingTheFileAndTheField(String entry, String expected) throws IOException {
        ModelFolder folder = indexWith(entry);
        CheckpointException e = assertThrows(CheckpointException.class, () -> PipelineDefaults.read(folder));
        assertTrue(e.getMessage().startsWith(folder.modelIndexFile().toString()) && e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void rewritingTheIndexKeepsTheEntryAndChangesNothingElse(@TempDir Path other) throws IOException {
        ModelFolder plain = new ModelFolder(other);
        plain.writeModelIndex(List.of("a", "b"));
        String written = Files.readString(plain.modelIndexFile());
        assertEquals(ModelFolder.ddpmModelIndexJson(List.of("a", "b")), written, "no entry: the index as before");

        ModelFolder folder = indexWith("{\"guidance_scale\": 3.5}");
        folder.writeModelIndex(List.of("a", "b"));
        String kept = Files.readString(folder.modelIndexFile());
        assertEquals(3.5, PipelineDefaults.read(folder).guidanceScale(), kept);
        assertEquals(written, kept.replace("  \"_diffusion4j\": {\"guidance_scale\":3.5},\n", ""), "only the entry is added");

        folder.writeSuperResolutionIndex(2, 100);
        assertEquals(3.5, PipelineDefaults.read(folder).guidanceScale(), "kept by every writer of the index");
        assertTrue(Files.readString(folder.modelIndexFile()).contains("\"factor\": 2"));
    }

    @Test
    void aDamagedIndexIsReplacedAsBefore() throws IOException {
        Files.writeString(dir.resolve(ModelFolder.MODEL_INDEX), "{ not json", StandardCharsets.UTF_8);
        ModelFolder folder = new ModelFolder(dir);
        folder.writeModelIndex(List.of());
        assertEquals(ModelFolder.ddpmModelIndexJson(List.of()), Files.readString(folder.modelIndexFile()));
    }
}
