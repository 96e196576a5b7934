package org.diffusion4j.spark;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.diffusion4j.data.Datasets;
import org.diffusion4j.diffusers.ModelFolder;
import org.diffusion4j.diffusers.SchedulerConfig;
import org.diffusion4j.diffusers.UNet2DFolder;
import org.diffusion4j.diffusion.PredictionType;
import org.diffusion4j.nn.UNet2DConfig;
import org.diffusion4j.nn.UNet2DModel;
import org.diffusion4j.schedule.BetaSchedule;

/** A random class-conditional 28×28 gray U-Net folder (16/32 channels: whole oneDNN blocks, the fast path) with the Fashion-MNIST classes and a null class: fast. */
final class TinyModel {

    private TinyModel() {}

    static Path create(Path root) throws IOException {
        ModelFolder folder = new ModelFolder(root);
        UNet2DConfig config = UNet2DConfig.builder().setSampleSize(28).setInChannels(1).setOutChannels(1)
                .setBlockOutChannels(16, 32)
                .setDownBlockTypes(UNet2DConfig.DownBlockType.DOWN_BLOCK_2D, UNet2DConfig.DownBlockType.DOWN_BLOCK_2D)
                .setUpBlockTypes(UNet2DConfig.UpBlockType.UP_BLOCK_2D, UNet2DConfig.UpBlockType.UP_BLOCK_2D)
                .optLayersPerBlock(1).optNormNumGroups(8).optAttentionHeadDim(null).optNumClassEmbeds(11)
                .build();
        try (NDManager m = NDManager.newBaseManager(); UNet2DModel unet = UNet2DModel.create(config, m, 3)) {
            UNet2DFolder.save(unet, folder.unetDir());
        }
        Files.createDirectories(folder.schedulerConfigFile().getParent());
        SchedulerConfig.ddpmDefaults(BetaSchedule.LINEAR, 100, 1e-4, 0.02, PredictionType.EPSILON).write(folder.schedulerConfigFile());
        folder.writeModelIndex(Datasets.FASHION_MNIST_CLASSES);
        return root;
    }
}
