package org.diffusion4j.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.diffusion4j.diffusers.UNet2DConditionFolder;
import org.diffusion4j.io.SafeTensors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The text-conditional U-Net against diffusers' UNet2DConditionModel on the fixture (block_out_channels
 * [24, 48], 8 heads, cross_attention_dim 32, CrossAttnDownBlock2D + DownBlock2D, UpBlock2D + CrossAttnUpBlock2D):
 * the output and every recorded intermediate (time features, transformer and resnet outputs, each block).
 */
@Tag("kernel")
class UNet2DConditionModelParityTest {

    static final Path FIXTURE = ClipTokenizerTest.FIXTURE;

    @Test
    void matchesDiffusers() throws IOException {
        try (NDManager m = NDManager.newBaseManager(); UNet2DConditionModel unet = UNet2DConditionFolder.load(FIXTURE.resolve("unet"), m)) {
            SafeTensors io = SafeTensors.read(FIXTURE.resolve("reference/unet_io.safetensors"));
            SafeTensors acts = SafeTensors.read(FIXTURE.resolve("reference/unet_intermediates.safetensors"));
            Map<String, NDArray> recorded = new HashMap<>();
            NDArray out = unet.forward(io.toNDArray("sample", m), io.toNDArray("timestep", m),
                    io.toNDArray("encoder_hidden_states", m), recorded::put);
            ClipTextModelParityTest.assertClose(io.toNDArray("out", m), out, "out");
            int checked = ClipTextModelParityTest.assertIntermediates(acts, recorded, m);
            assertTrue(checked >= 12, "intermediates compared: " + checked);
            NDArray predicted = unet.predict(io.toNDArray("sample", m), io.toNDArray("timestep", m).toType(
                    ai.djl.ndarray.types.DataType.FLOAT32, false), io.toNDArray("encoder_hidden_states", m));
            ClipTextModelParityTest.assertClose(io.toNDArray("out", m), predicted, "predict with float32 timesteps");
        }
    }

    @Test
    void variantsItDoesNotComputeAreRefusedNamingTheField(@TempDir Path tmp) throws IOException {
        String config = Files.readString(FIXTURE.resolve("unet/config.json"));
        Files.writeString(tmp.resolve("config.json"), config.replace("\"use_linear_projection\": false", "\"use_linear_projection\": true"));
        ModelFileException e = assertThrows(ModelFileException.class, () -> UNet2DConditionFolder.readConfig(tmp.resolve("config.json")));
        assertTrue(e.getMessage().contains("use_linear_projection"), e.getMessage());
        Files.writeString(tmp.resolve("config.json"), config.replace("\"DownBlock2D\"", "\"SkipDownBlock2D\""));
        e = assertThrows(ModelFileException.class, () -> UNet2DConditionFolder.readConfig(tmp.resolve("config.json")));
        assertTrue(e.getMessage().contains("down_block_types") && e.getMessage().contains("SkipDownBlock2D"), e.getMessage());
        assertEquals(8, UNet2DConditionFolder.readConfig(FIXTURE.resolve("unet/config.json")).heads(),
                "attention_head_dim is the number of heads in UNet2DConditionModel");
    }
}
