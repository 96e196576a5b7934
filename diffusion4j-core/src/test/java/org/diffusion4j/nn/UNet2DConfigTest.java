package org.diffusion4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.diffusion4j.diffusers.UNet2DConfigJson;
import org.diffusion4j.nn.ModelFileException;
import org.diffusion4j.nn.UNet2DConfig.DownBlockType;
import org.diffusion4j.nn.UNet2DConfig.UpBlockType;
import org.diffusion4j.nn.UNet2DConfig;
import org.diffusion4j.nn.UNet2DModel;
import org.diffusion4j.nn.UNet2DModelParityTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class UNet2DConfigTest {
    private static final Path FIXTURE_CONFIG = UNet2DModelParityTest.UNET.resolve("config.json");

    @Test
    void readsTheDiffusersFixtureConfig() throws IOException {
        UNet2DConfig c = UNet2DConfigJson.read(FIXTURE_CONFIG);
        assertEquals(16, c.sampleSize());
        assertEquals(3, c.inChannels());
        assertEquals(3, c.outChannels());
        assertArrayEquals(new int[] {16, 32}, c.blockOutChannels());
        assertEquals(List.of(DownBlockType.DOWN_BLOCK_2D, DownBlockType.ATTN_DOWN_BLOCK_2D), c.downBlockTypes());
        assertEquals(List.of(UpBlockType.ATTN_UP_BLOCK_2D, UpBlockType.UP_BLOCK_2D), c.upBlockTypes());
        assertEquals(2, c.layersPerBlock());
        assertEquals(8, c.normNumGroups());
        assertEquals(8, c.attentionHeadDim());
        assertEquals(1e-5, c.normEps());
        assertTrue(c.flipSinToCos());
        assertEquals(0.0, c.freqShift());
        assertEquals(1, c.downsamplePadding());
        assertTrue(c.addAttention());
        assertNull(c.numClassEmbeds());
        assertEquals(64, c.timeEmbedDim());
    }

    @Test
    void writtenJsonHasEveryDiffusersFieldAndReadsBackEqual() throws IOException {
        UNet2DConfig c = UNet2DConfigJson.read(FIXTURE_CONFIG);
        JsonObject written = JsonParser.parseString(UNet2DConfigJson.toJson(c)).getAsJsonObject();
        JsonObject original = JsonParser.parseString(Files.readString(FIXTURE_CONFIG)).getAsJsonObject();
        assertEquals(original.keySet(), written.keySet(), "same field set as diffusers' save_config");
        for (String k : original.keySet()) {
            if (!k.equals("_diffusers_version")) {
                assertEquals(original.get(k), written.get(k), k);
            }
        }
        assertEquals(c, UNet2DConfigJson.parse(UNet2DConfigJson.toJson(c), "roundtrip"));
    }

    @Test
    void missingOptionalFieldsTakeDiffusersDefaults() {
        UNet2DConfig c = UNet2DConfigJson.parse("{\"sample_size\": 32, \"block_out_channels\": [64, 128],"
                + "\"down_block_types\": [\"DownBlock2D\", \"AttnDownBlock2D\"],"
                + "\"up_block_types\": [\"AttnUpBlock2D\", \"UpBlock2D\"]}", "t");
        assertEquals(3, c.inChannels());
        assertEquals(2, c.layersPerBlock());
        assertEquals(32, c.normNumGroups());
        assertEquals(8, c.attentionHeadDim());
        assertEquals(1e-5, c.normEps());
        assertTrue(c.flipSinToCos());
        assertEquals(1, c.downsamplePadding());
        assertFalse(c.centerInputSample());
        assertEquals(0.0, c.dropout());
    }

    @Test
    void legacyDdpmStyleConfigIsAccepted() {
        // google/ddpm-cifar10-32 style: downsample_padding 0, freq_shift 1, no flip, one head, unknown keys ignored
        UNet2DConfig c = UNet2DConfigJson.parse("{\"_class_name\": \"UNet2DModel\", \"_diffusers_version\": \"0.0.4\","
                + "\"sample_size\": 32, \"block_out_channels\": [128, 256, 256, 256], \"attention_head_dim\": null,"
                + "\"down_block_types\": [\"DownBlock2D\", \"AttnDownBlock2D\", \"DownBlock2D\", \"DownBlock2D\"],"
                + "\"up_block_types\": [\"UpBlock2D\", \"UpBlock2D\", \"AttnUpBlock2D\", \"UpBlock2D\"],"
                + "\"downsample_padding\": 0, \"flip_sin_to_cos\": false, \"freq_shift\": 1, \"norm_eps\": 1e-06,"
                + "\"some_future_key\": 7}", "t");
        assertNull(c.attentionHeadDim());
        assertEquals(0, c.downsamplePadding());
        assertEquals(1.0, c.freqShift());
        assertFalse(c.flipSinToCos());
        long n = UNet2DModel.parameterShapes(c).values().stream().mapToLong(s -> s.size()).sum();
        assertEquals(35_746_307L, n, "google/ddpm-cifar10-32 has 35,746,307 parameters");
        assertEquals(n, c.parameterCount());
    }

    @Test
    void tinyConfigIsValidAndSmall() {
        UNet2DConfig c = UNet2DConfig.tiny();
        assertEquals(28, c.sampleSize());
        assertEquals(4, c.sizeMultiple());
        assertEquals(c, c.toBuilder().build());
    }

    @Test
    void saveWritesAtomicallyAndLoadsBack(@TempDir Path dir) throws IOException {
        UNet2DConfig c = UNet2DConfig.tiny().toBuilder().optNumClassEmbeds(10).optDropout(0.1).build();
        Path f = dir.resolve("config.json");
        UNet2DConfigJson.write(c, f);
        assertEquals(c, UNet2DConfigJson.read(f));
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temporary file left behind");
        }
    }

    /** Each invalid or unsupported field is refused, naming the source, the field and what is accepted. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "time_embedding_type | \"fourier\" | supported: positional",
        "act_fn | \"gelu\" | supported: silu",
        "resnet_time_scale_shift | \"scale_shift\" | supported: default",
        "downsample_type | \"resnet\" | supported: conv",
        "upsample_type | \"resnet\" | supported: conv",
        "class_embed_type | \"timestep\" | supported: null",
        "mid_block_type | \"UNetMidBlock2DCrossAttn\" | supported: UNetMidBlock2D",
        "down_block_types | [\"DownBlock2D\", \"CrossAttnDownBlock2D\"] | supported: [\"DownBlock2D\", \"AttnDownBlock2D\"]",
        "up_block_types | [\"AttnUpBlock2D\", \"SkipUpBlock2D\"] | supported: [\"UpBlock2D\", \"AttnUpBlock2D\"]",
        "down_block_types | [\"DownBlock2D\"] | one entry per entry of block_out_channels",
        "up_block_types | [] | one entry per entry of block_out_channels",
        "block_out_channels | [] | must list 1 to 8",
        "block_out_channels | [16, 30] | must divide every entry of block_out_channels",
        "block_out_channels | [16, 1000000] | must be in [1, 16384]",
        "norm_num_groups | 7 | must divide every entry of block_out_channels",
        "norm_num_groups | 0 | must be a positive integer",
        "sample_size | 17 | must be a multiple of 2^(len(block_out_channels) - 1) = 2",
        "sample_size | 100000 | must be in [1, 8192]",
        "sample_size | [16, 32] | only square samples",
        "sample_size | null | required field \"sample_size\" is null",
        "layers_per_block | 0 | must be in [1, 64]",
        "layers_per_block | \"two\" | must be an integer",
        "in_channels | -1 | must be in [1, 16384]",
        "downsample_padding | 2 | supported: 0",
        "dropout | 1.5 | must be in [0, 1)",
        "norm_eps | 0 | must be in (0, 1)",
        "attention_head_dim | 64 | would leave it 0 heads",
        "attention_head_dim | 0 | must be a positive integer or null",
        "attn_norm_num_groups | 5 | must be null or a positive divisor",
        "num_class_embeds | 0 | must be null (unconditional) or in [1, 10000000]",
        "flip_sin_to_cos | 1 | must be true or false",
        "_class_name | \"UNet2DConditionModel\" | reads only \"UNet2DModel\" configs",
        "attention_legacy_order | true | supported: false",
    })
    void invalidFieldsAreRefused(String field, String json, String expected) throws IOException {
        String text = Files.readString(FIXTURE_CONFIG);
        JsonObject o = JsonParser.parseString(text).getAsJsonObject();
        o.add(field, JsonParser.parseString(json));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> UNet2DConfigJson.parse(o.toString(), "/x/unet/config.json"));
        assertTrue(e.getMessage().startsWith("/x/unet/config.json: "), e.getMessage());
        assertTrue(e.getMessage().contains("\"" + field + "\"") || field.equals("block_out_channels"), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @ParameterizedTest
    @CsvSource({"block_out_channels", "down_block_types", "up_block_types", "sample_size"})
    void requiredFieldsMustBePresent(String field) throws IOException {
        JsonObject o = JsonParser.parseString(Files.readString(FIXTURE_CONFIG)).getAsJsonObject();
        o.remove(field);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> UNet2DConfigJson.parse(o.toString(), "c.json"));
        assertTrue(e.getMessage().contains("required field \"" + field + "\" is missing"), e.getMessage());
    }

    @Test
    void malformedFilesAreRefusedWithTheirPath(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("config.json");
        Files.writeString(f, "{\"sample_size\": 16,");
        ModelFileException e = assertThrows(ModelFileException.class, () -> UNet2DConfigJson.read(f));
        assertTrue(e.getMessage().startsWith(f + ": not valid JSON"), e.getMessage());
        Files.writeString(f, "[1, 2]");
        e = assertThrows(ModelFileException.class, () -> UNet2DConfigJson.read(f));
        assertTrue(e.getMessage().contains("expected a JSON object"), e.getMessage());
        e = assertThrows(ModelFileException.class, () -> UNet2DConfigJson.read(dir.resolve("nope.json")));
        assertTrue(e.getMessage().contains("file not found"), e.getMessage());
    }

    @Test
    void builderChecksInBuild() {
        assertThrows(IllegalArgumentException.class, () -> UNet2DConfig.builder().build(), "nothing set");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> UNet2DConfig.tiny().toBuilder().setBlockOutChannels(16384, 16384, 16384).optLayersPerBlock(64).build());
        assertTrue(e.getMessage().contains("parameters, more than"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> UNet2DConfig.tiny().toBuilder().setUpBlockTypes(UpBlockType.UP_BLOCK_2D).build());
        assertTrue(e.getMessage().startsWith("UNet2DConfig: field \"up_block_types\""), e.getMessage());
    }

    // ---------------------------------------------------------------- the parameter cap

    /** The fixture config (16/32 channels) with 96/96 channels and {@code numClassEmbeds} class embeddings. */
    private static UNet2DConfig.Builder wideConditional(int numClassEmbeds) {
        return UNet2DConfig.builder().setSampleSize(16).setInChannels(3).setOutChannels(3).setBlockOutChannels(96, 96)
                .setDownBlockTypes(DownBlockType.DOWN_BLOCK_2D, DownBlockType.ATTN_DOWN_BLOCK_2D)
                .setUpBlockTypes(UpBlockType.ATTN_UP_BLOCK_2D, UpBlockType.UP_BLOCK_2D).optNormNumGroups(8)
                .optNumClassEmbeds(numClassEmbeds);
    }

    @Test
    void theClassTableAddsNumClassEmbedsTimesTheTimeEmbeddingWidth() {
        UNet2DConfig plain = UNet2DConfig.tiny();
        UNet2DConfig conditional = plain.toBuilder().optNumClassEmbeds(11).build();
        assertEquals(11L * 4 * 32, conditional.parameterCount() - plain.parameterCount(), "nn.Embedding(11, 4·32)");
    }

    @Test
    void aSmallConfigAskingForGigabytesIsRefusedBeforeAnythingIsAllocated(@TempDir Path dir) throws IOException {
        // 10 million classes × a 384-wide time embedding: 3.84e9 parameters, 15 GB of float32, from a 511-byte file
        long n = wideConditional(10_000_000).build(Long.MAX_VALUE).parameterCount();
        long table = 10_000_000L * 4 * 96;
        assertTrue(n > table && n < 4_000_000_000L, "under the old cap of 4e9, which let it through: " + n);
        JsonObject o = JsonParser.parseString(Files.readString(FIXTURE_CONFIG)).getAsJsonObject();
        o.add("block_out_channels", JsonParser.parseString("[96, 96]"));
        o.addProperty("num_class_embeds", 10_000_000);
        Path f = dir.resolve("config.json");
        Files.writeString(f, o.toString());
        assertTrue(Files.size(f) < 1000);
        ModelFileException e = assertThrows(ModelFileException.class, () -> UNet2DConfigJson.read(f));
        String m = e.getMessage();
        assertTrue(m.startsWith(f + ": this configuration has " + n + " parameters, more than the limit of "
                + UNet2DConfig.DEFAULT_MAX_PARAMETERS + " (14.3 GiB of float32 weights, the limit is 2.0 GiB)"), m);
        for (String part : new String[] {"block_out_channels [96, 96]", "layers_per_block 2", "num_class_embeds 10000000",
                "class_embedding alone: 10000000 × 4·block_out_channels[0] = " + table + " parameters",
                "-Ddiffusion4j.maxParams=" + n}) {
            assertTrue(m.contains(part), part + " in " + m);
        }
        // no class table: the message does not blame num_class_embeds
        e = assertThrows(ModelFileException.class, () -> {
            o.remove("num_class_embeds");
            o.add("block_out_channels", JsonParser.parseString("[4096, 4096, 4096]"));
            o.add("down_block_types", JsonParser.parseString("[\"DownBlock2D\", \"DownBlock2D\", \"DownBlock2D\"]"));
            o.add("up_block_types", JsonParser.parseString("[\"UpBlock2D\", \"UpBlock2D\", \"UpBlock2D\"]"));
            Files.writeString(f, o.toString());
            UNet2DConfigJson.read(f);
        });
        assertTrue(e.getMessage().contains("block_out_channels [4096, 4096, 4096]")
                && !e.getMessage().contains("num_class_embeds"), e.getMessage());
    }

    @Test
    void theCapIsInclusive() {
        long n = UNet2DConfig.tiny().parameterCount();
        UNet2DConfig.Builder b = UNet2DConfig.tiny().toBuilder();
        assertEquals(n, b.build(n).parameterCount());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.build(n - 1));
        assertTrue(e.getMessage().startsWith("UNet2DConfig: this configuration has " + n + " parameters, more than the "
                + "limit of " + (n - 1)), e.getMessage());
        assertTrue(e.getMessage().endsWith("raise the limit with -Ddiffusion4j.maxParams=" + n), e.getMessage());
        // the 256×256 diffusers DDPMs (google/ddpm-celebahq-256's architecture) fit well under the default cap
        UNet2DConfig celebahq = UNet2DConfig.builder().setSampleSize(256).setInChannels(3).setOutChannels(3)
                .setBlockOutChannels(128, 128, 256, 256, 512, 512)
                .setDownBlockTypes(DownBlockType.DOWN_BLOCK_2D, DownBlockType.DOWN_BLOCK_2D, DownBlockType.DOWN_BLOCK_2D,
                        DownBlockType.DOWN_BLOCK_2D, DownBlockType.ATTN_DOWN_BLOCK_2D, DownBlockType.DOWN_BLOCK_2D)
                .setUpBlockTypes(UpBlockType.UP_BLOCK_2D, UpBlockType.ATTN_UP_BLOCK_2D, UpBlockType.UP_BLOCK_2D,
                        UpBlockType.UP_BLOCK_2D, UpBlockType.UP_BLOCK_2D, UpBlockType.UP_BLOCK_2D)
                .optAttentionHeadDim(null).build();
        assertTrue(celebahq.parameterCount() > 100_000_000 && celebahq.parameterCount() < UNet2DConfig.DEFAULT_MAX_PARAMETERS / 4);
    }

    @Test
    void theCapIsTheSystemPropertyOrTwoGibibytesOfWeights() {
        if (System.getProperty(UNet2DConfig.MAX_PARAMETERS_PROPERTY) == null) {
            assertEquals(UNet2DConfig.DEFAULT_MAX_PARAMETERS, UNet2DConfig.maxParameters());
        }
        assertEquals("2.0 GiB", UNet2DConfig.gib(UNet2DConfig.DEFAULT_MAX_PARAMETERS));
        assertEquals(UNet2DConfig.DEFAULT_MAX_PARAMETERS, UNet2DConfig.parseMaxParameters(null));
        assertEquals(1000, UNet2DConfig.parseMaxParameters("1000"));
        assertEquals(8_000_000_000L, UNet2DConfig.parseMaxParameters(" 8000000000 "));
        for (String bad : new String[] {"", "abc", "0", "-5", "1e9", "2 GiB", "99999999999999999999"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> UNet2DConfig.parseMaxParameters(bad), bad);
            assertTrue(e.getMessage().startsWith("system property diffusion4j.maxParams = \"" + bad + "\": must be a positive "
                    + "whole number"), e.getMessage());
        }
    }
}
