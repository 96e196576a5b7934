package org.diffusion4j.train;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.diffusion4j.data.CaptionedImageFolder;
import org.diffusion4j.data.Datasets;
import org.diffusion4j.data.ImageDataset;
import org.diffusion4j.data.ImageFolderDataset;
import org.diffusion4j.data.ShapesDataset;
import org.diffusion4j.data.Split;
import org.diffusion4j.diffusers.ClipTextFolder;
import org.diffusion4j.diffusers.ClipTokenizerFolder;
import org.diffusion4j.nn.ClipTextModel;
import org.diffusion4j.nn.ClipTokenizer;
import org.diffusion4j.nn.UNet2DConditionModel;
import org.diffusion4j.nn.UNet2DConfig;
import org.diffusion4j.nn.UNet2DModel;

/**
 * Builds what a training run needs from a {@link TrainConfig}: the data set (a named one such as
 * {@code fashion-mnist}, or an image folder) and a freshly initialised U-Net.
 */
public final class Training {

    private static final long STREAM_INIT = 4;
    private static final long STREAM_DATA = 5;

    private Training() {}

    /**
     * Opens {@code config.dataset()}: a registered name ({@link Datasets#names()}), else a folder of
     * PNG/JPEG images read with the model's channel count (and resized to its sample size).
     */
    public static ImageDataset openDataset(TrainConfig config) throws IOException {
        String name = config.dataset();
        if (config.isText()) {
            if (name.equals("shapes")) {
                return ShapesDataset.generate(config.conditionConfig().sampleSize(), Split.TRAIN, config.seed(), SHAPES_IMAGES);
            }
            return CaptionedImageFolder.open(Path.of(name), config.conditionConfig().inChannels());
        }
        if (Datasets.names().contains(name.toLowerCase(java.util.Locale.ROOT))) {
            return Datasets.open(name, Split.TRAIN);
        }
        Path folder = Path.of(name);
        if (!Files.isDirectory(folder)) {
            throw new IllegalArgumentException("data \"" + name + "\" is neither a known data set " + Datasets.names()
                    + " nor an image folder");
        }
        UNet2DConfig unet = config.unetConfig();
        return ImageFolderDataset.builder(folder).optChannels(unet.inChannels())
                .optResize(unet.sampleSize(), unet.sampleSize()).build();
    }

    /** The training batches of {@code dataset}: batch s is a pure function of (seed, s). */
    public static BatcherData batches(TrainConfig config, ImageDataset dataset) {
        config.checkData(dataset.name(), dataset.channels(), dataset.height(), dataset.width(), dataset.numClasses());
        return BatcherData.of(dataset, config.batchSize(), DiffusionTrainer.streamSeed(config.seed(), STREAM_DATA, 0),
                config.randomFlip());
    }

    /** Images of the {@code shapes} data set a text-conditional run trains on. */
    public static final int SHAPES_IMAGES = 20_000;

    /**
     * A new text-conditional U-Net of the config's architecture with the frozen tokenizer and text encoder of
     * {@code config.textEncoder()} (a train-clip output or a StableDiffusionPipeline folder).
     *
     * @throws IllegalArgumentException naming the folder when the encoder cannot be read
     */
    public static UNet2DConditionTrainable newTextModel(TrainConfig config, NDManager manager) {
        Path dir = Path.of(config.textEncoder());
        try {
            ClipTokenizer tokenizer = ClipTokenizerFolder.load(dir.resolve("tokenizer"));
            ClipTextModel encoder = ClipTextFolder.load(dir.resolve("text_encoder"), manager);
            return new UNet2DConditionTrainable(UNet2DConditionModel.create(config.conditionConfig(), manager,
                    DiffusionTrainer.streamSeed(config.seed(), STREAM_INIT, 0)), tokenizer, encoder, dir);
        } catch (IOException e) {
            throw new IllegalArgumentException("text_encoder \"" + dir + "\": " + e.getMessage()
                    + " (give the folder train-clip wrote, with tokenizer/ and text_encoder/)", e);
        }
    }

    /** A new model of the config: text-conditional when it names a text encoder, else the U-Net. */
    public static TrainableModel newTrainable(TrainConfig config, NDManager manager) {
        return config.isText() ? newTextModel(config, manager) : newModel(config, manager);
    }

    /** A new U-Net of the config's architecture, initialised from the run's seed (PyTorch's default init). */
    public static UNetTrainable newModel(TrainConfig config, NDManager manager) {
        if (config.isText()) {
            throw new IllegalArgumentException("the config trains a text-conditional model; use newTextModel");
        }
        return new UNetTrainable(UNet2DModel.create(config.unetConfig(), manager,
                DiffusionTrainer.streamSeed(config.seed(), STREAM_INIT, 0)));
    }
}
