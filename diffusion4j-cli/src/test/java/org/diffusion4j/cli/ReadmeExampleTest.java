package org.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.diffusion4j.io.ImageGrid;
import org.diffusion4j.nn.UNet2DModel;
import org.diffusion4j.diffusion.Denoiser;
import org.diffusion4j.diffusion.NoiseSource;
import org.diffusion4j.sampling.Sampler;
import org.diffusion4j.sampling.Samplers;
import org.diffusion4j.sampling.SamplingListener;
import org.diffusion4j.sampling.SchedulerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's library snippet, line for line (model path, step count and output folder changed). */
class ReadmeExampleTest {

    @TempDir
    Path dir;

    @Test
    void librarySnippetRuns() throws Exception {
        Path model = InfoCommandTest.modelFolder(dir);
        SchedulerConfig config = SchedulerConfig.read(model.resolve("scheduler/scheduler_config.json"));
        Sampler ddim = Samplers.create("ddim", config.noiseSchedule(), config.samplerOptions(2));
        try (NDManager manager = NDManager.newBaseManager();
                UNet2DModel unet = UNet2DModel.load(model.resolve("unet"), manager)) {
            Denoiser denoiser = Denoiser.of(config.predictionType(), unet::predict);
            int c = unet.config().inChannels();
            int size = unet.config().sampleSize();
            NDArray xT = NoiseSource.seeded(0).normal(manager, new Shape(16, c, size, size), 0);
            NDArray images = ddim.sample(denoiser, xT, NoiseSource.seeded(1), SamplingListener.NONE);
            ImageGrid.writeGrid(dir.resolve("samples.png"), images, 4, 2);
        }
        BufferedImage g = ImageIO.read(dir.resolve("samples.png").toFile());
        assertEquals(4 * 16 + 5 * 2, g.getWidth());
        assertEquals(4 * 16 + 5 * 2, g.getHeight());
    }
}
