package org.diffusion4j.cli;

import org.diffusion4j.diffusers.UNet2DFolder;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDManager;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.diffusion4j.data.Datasets;
import org.diffusion4j.data.IdxDataset;
import org.diffusion4j.data.Split;
import org.diffusion4j.diffusers.ModelFolder;
import org.diffusion4j.diffusers.SchedulerConfig;
import org.diffusion4j.diffusion.PredictionType;
import org.diffusion4j.nn.UNet2DConfig;
import org.diffusion4j.nn.UNet2DModel;
import org.diffusion4j.schedule.BetaSchedule;

/** Test inputs of the sample-quality commands: a tiny random 28x28 model folder, real Fashion-MNIST PNGs. */
public final class QualityFixtures {

    private QualityFixtures() {}

    /**
     * A randomly initialised gray 28x28 UNet (channels 8/16, no attention, ≈20 k parameters) with a
     * DDPM schedule of {@code timesteps} steps, in the diffusers layout under {@code dir/name}.
     */
    public static Path tinyModel(Path dir, String name, int timesteps) throws IOException {
        Path model = dir.resolve(name);
        UNet2DConfig config = UNet2DConfig.builder().setSampleSize(28).setInChannels(1).setOutChannels(1)
                .setBlockOutChannels(8, 16)
                .setDownBlockTypes(UNet2DConfig.DownBlockType.DOWN_BLOCK_2D, UNet2DConfig.DownBlockType.DOWN_BLOCK_2D)
                .setUpBlockTypes(UNet2DConfig.UpBlockType.UP_BLOCK_2D, UNet2DConfig.UpBlockType.UP_BLOCK_2D)
                .optLayersPerBlock(1).optNormNumGroups(4).optAttentionHeadDim(null)
                .build();
        try (NDManager m = NDManager.newBaseManager(); UNet2DModel unet = UNet2DModel.create(config, m, 7)) {
            UNet2DFolder.save(unet, model.resolve("unet"));
        }
        Files.createDirectories(model.resolve("scheduler"));
        SchedulerConfig.ddpmDefaults(BetaSchedule.LINEAR, timesteps, 1e-4, 0.02, PredictionType.EPSILON)
                .write(model.resolve("scheduler/scheduler_config.json"));
        Files.writeString(model.resolve("model_index.json"), "{\"_class_name\": \"DDPMPipeline\"}\n");
        return model;
    }

    /**
     * A randomly initialised class-conditional gray UNet of side {@code size} (channels 8/16, no attention)
     * with {@code numClassEmbeds} class embeddings and the class names {@code names} as id2label, written
     * with {@link ModelFolder} under {@code dir/name}; a DDPM schedule of {@code timesteps} steps.
     */
    public static Path tinyConditionalModel(Path dir, String name, int size, List<String> names, int numClassEmbeds, int timesteps)
            throws IOException {
        ModelFolder folder = new ModelFolder(dir.resolve(name));
        UNet2DConfig config = UNet2DConfig.builder().setSampleSize(size).setInChannels(1).setOutChannels(1)
                .setBlockOutChannels(8, 16)
                .setDownBlockTypes(UNet2DConfig.DownBlockType.DOWN_BLOCK_2D, UNet2DConfig.DownBlockType.DOWN_BLOCK_2D)
                .setUpBlockTypes(UNet2DConfig.UpBlockType.UP_BLOCK_2D, UNet2DConfig.UpBlockType.UP_BLOCK_2D)
                .optLayersPerBlock(1).optNormNumGroups(4).optAttentionHeadDim(null).optNumClassEmbeds(numClassEmbeds)
                .build();
        try (NDManager m = NDManager.newBaseManager(); UNet2DModel unet = UNet2DModel.create(config, m, 11)) {
            UNet2DFolder.save(unet, folder.unetDir());
        }
        Files.createDirectories(folder.schedulerConfigFile().getParent());
        SchedulerConfig.ddpmDefaults(BetaSchedule.LINEAR, timesteps, 1e-4, 0.02, PredictionType.EPSILON)
                .write(folder.schedulerConfigFile());
        folder.writeModelIndex(names);
        return folder.root();
    }

    /** Skips the test unless Fashion-MNIST and the shipped classifier are installed. */
    static void assumeFashionMnistAndClassifier() {
        assumeTrue(Datasets.isInstalled("fashion-mnist"),
                "Fashion-MNIST is not installed (apt-get install -y dataset-fashion-mnist); skipping");
        assumeTrue(Files.isRegularFile(Cli.root().resolve("models/fashion-classifier/fmnist_test_stats.safetensors")),
                "models/fashion-classifier is missing; skipping");
    }

    /** Writes the first n Fashion-MNIST test images as 8-bit gray PNGs test_00000.png, … and returns their bytes. */
    static byte[] writeTestPngs(Path folder, int n) throws IOException {
        IdxDataset test = Datasets.open("fashion-mnist", Split.TEST);
        Files.createDirectories(folder);
        byte[] pixels = java.util.Arrays.copyOf(test.pixels(), n * 784);
        for (int i = 0; i < n; i++) {
            BufferedImage img = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
            for (int y = 0; y < 28; y++) {
                for (int x = 0; x < 28; x++) {
                    img.getRaster().setSample(x, y, 0, pixels[i * 784 + y * 28 + x] & 0xff);
                }
            }
            ImageIO.write(img, "png", folder.resolve(String.format("test_%05d.png", i)).toFile());
        }
        return pixels;
    }

    /** A NumPy 1.0 .npy of uint8 [n, 28, 28], as np.save writes it. */
    static void writeUint8Npy(Path file, byte[] pixels, int n) throws IOException {
        String dict = "{'descr': '|u1', 'fortran_order': False, 'shape': (" + n + ", 28, 28), }";
        int total = 10 + dict.length() + 1;
        int pad = (64 - total % 64) % 64;
        String header = dict + " ".repeat(pad) + "\n";
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.write(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
        out.write(header.length() & 0xff);
        out.write(header.length() >> 8);
        out.write(header.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        out.write(pixels, 0, n * 784);
        Files.write(file, out.toByteArray());
    }
}
