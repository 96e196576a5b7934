package org.diffusion4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.diffusion4j.data.CaptionedImageFolder;
import org.diffusion4j.data.Datasets;
import org.diffusion4j.data.ImageDataset;
import org.diffusion4j.data.ImageFolderDataset;
import org.diffusion4j.data.ShapesDataset;
import org.diffusion4j.data.Split;
import org.diffusion4j.diffusers.AutoencoderKLFolder;
import org.diffusion4j.diffusers.ClipTextFolder;
import org.diffusion4j.diffusers.ClipTokenizerFolder;
import org.diffusion4j.diffusers.UNet2DConditionFolder;
import org.diffusion4j.diffusers.UNet2DConfigJson;
import org.diffusion4j.diffusers.UNet2DFolder;
import org.diffusion4j.io.SafeTensors;
import org.diffusion4j.nn.AutoencoderKL;
import org.diffusion4j.nn.AutoencoderKLConfig;
import org.diffusion4j.nn.ClipTextConfig;
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
    private static final long STREAM_LATENT = 6;
    private static final long STREAM_LOW_RES = 7;

    private Training() {}

    /**
     * Opens {@code config.dataset()}: a registered name ({@link Datasets#names()}), else a folder of
     * PNG/JPEG images read with the model's channel count (and resized to its sample size).
     */
    public static ImageDataset openDataset(TrainConfig config) throws IOException {
        String name = config.dataset();
        if (config.isText()) {
            int size = config.conditionConfig().sampleSize();
            int channels = config.conditionConfig().inChannels();
            if (config.isLatent()) {
                AutoencoderKLConfig vae = AutoencoderKLFolder.readConfig(vaeFolder(config).resolve(UNet2DFolder.CONFIG_FILE));
                size *= vae.downsampleFactor();
                channels = vae.inChannels();
            }
            if (name.equals("shapes")) {
                return ShapesDataset.generate(size, Split.TRAIN, config.seed(), SHAPES_IMAGES);
            }
            return CaptionedImageFolder.open(Path.of(name), channels);
        }
        if (name.equals("shapes")) {
            return ShapesDataset.generate(config.unetConfig().sampleSize(), Split.TRAIN, config.seed(), SHAPES_IMAGES);
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

    /**
     * What a run trains on: {@link #batches} of the images, or for a latent-diffusion run ({@link TrainConfig#isLatent()})
     * their scaled latents under the frozen auto-encoder, loaded into {@code manager}.
     *
     * @throws IllegalArgumentException naming the folder or field when the auto-encoder or the data do not fit the model
     */
    public static TrainingData data(TrainConfig config, ImageDataset dataset, NDManager manager) throws IOException {
        if (!config.isLatent()) {
            return batches(config, dataset);
        }
        AutoencoderKL vae = AutoencoderKLFolder.load(vaeFolder(config), manager);
        BatcherData pixels = BatcherData.of(dataset, config.batchSize(), DiffusionTrainer.streamSeed(config.seed(), STREAM_DATA, 0),
                config.randomFlip());
        LatentTrainingData latents = new LatentTrainingData(pixels, vae, DiffusionTrainer.streamSeed(config.seed(), STREAM_LATENT, 0));
        if (dataset.channels() != vae.config().inChannels()) {
            throw new IllegalArgumentException("data " + dataset.name() + " has " + dataset.channels() + "-channel images but the vae "
                    + config.vae() + " takes " + vae.config().inChannels());
        }
        config.checkData(latents.name(), latents.channels(), latents.height(), latents.width(), dataset.numClasses());
        return latents;
    }

    /** The auto-encoder folder of a latent run: {@code vae} itself, or its {@code vae/} (what train-vae writes). */
    public static Path vaeFolder(TrainConfig config) {
        Path dir = Path.of(config.vae());
        return Files.isRegularFile(dir.resolve("vae").resolve(UNet2DFolder.CONFIG_FILE)) ? dir.resolve("vae") : dir;
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
            UNet2DConditionTrainable model = new UNet2DConditionTrainable(UNet2DConditionModel.create(config.conditionConfig(), manager,
                    DiffusionTrainer.streamSeed(config.seed(), STREAM_INIT, 0)), tokenizer, encoder, dir,
                    config.isLatent() ? vaeFolder(config) : null);
            return switch (config.textEncoderTraining()) {
                case FROZEN -> model;
                case JOINT -> model.withTrainedEncoder(ClipTextModel.create(encoder.config(), manager,
                        DiffusionTrainer.streamSeed(config.seed(), STREAM_INIT, 1)), Set.of());
                case BAG_OF_WORDS -> model.withTrainedEncoder(bagOfWords(encoder.config(), manager, config.seed()), Set.of(POSITIONS));
            };
        } catch (IOException e) {
            throw new IllegalArgumentException("text_encoder \"" + dir + "\": " + e.getMessage()
                    + " (give the folder train-clip wrote, with tokenizer/ and text_encoder/)", e);
        }
    }

    /** The position embedding of a CLIP text model: zero and fixed in a bag of words. */
    static final String POSITIONS = ClipTextModel.PREFIX + "embeddings.position_embedding.weight";

    /**
     * A bag-of-words text encoder in CLIPTextModel's form: no transformer layers and a zero, fixed position embedding, so
     * each token's output is LayerNorm(its embedding) — the context the U-Net attends to is the set of the caption's
     * words, without their order. Random weights (PyTorch's initialisation) from (seed, the init stream, 1).
     */
    static ClipTextModel bagOfWords(ClipTextConfig like, NDManager manager, long seed) {
        ClipTextModel m = ClipTextModel.create(like.withLayers(0), manager, DiffusionTrainer.streamSeed(seed, STREAM_INIT, 1));
        NDArray positions = m.parameters().get(POSITIONS);
        positions.set(java.nio.FloatBuffer.wrap(new float[Math.toIntExact(positions.size())]));
        return m;
    }

    /**
     * A new model of the config: text-conditional when it names a text encoder, else the U-Net; its U-Net starts from the
     * weights of {@code init_from} when the config names one ({@link #initialiseFrom}).
     */
    public static TrainableModel newTrainable(TrainConfig config, NDManager manager) {
        TrainableModel model = newUntrained(config, manager);
        if (!config.initFrom().isEmpty()) {
            initialiseFrom(model, Path.of(config.initFrom()));
        }
        return model;
    }

    /**
     * Fine-tuning: copies the U-Net weights of a model folder ({@code DIR/unet/} or a bare U-Net folder) into
     * {@code model}'s U-Net parameters, as diffusers' training scripts start from {@code --pretrained_model_name_or_path}.
     * The architecture must be the same (the folder's {@code config.json} equals the run's); a trained text encoder's
     * parameters keep their own initialisation. A resumed run then restores its checkpoint over these weights.
     *
     * @throws IllegalArgumentException naming the folder, file or tensor that does not fit
     */
    public static void initialiseFrom(TrainableModel model, Path dir) {
        Path unetDir = Files.isDirectory(dir.resolve("unet")) ? dir.resolve("unet") : dir;
        Path configFile = unetDir.resolve(UNet2DFolder.CONFIG_FILE);
        Path weights = unetDir.resolve(UNet2DFolder.WEIGHTS_FILE);
        try {
            String theirs = model.isTextConditional()
                    ? UNet2DConditionFolder.toJson(UNet2DConditionFolder.readConfig(configFile))
                    : UNet2DConfigJson.toJson(UNet2DConfigJson.read(configFile));
            if (!theirs.equals(model.configJson())) {
                throw new IllegalArgumentException("init_from \"" + dir + "\": " + configFile + " describes another architecture "
                        + "than the run's config; fine-tuning keeps the architecture, so train with that folder's config ("
                        + "--config FILE holding it as \"model\") or drop --init-from");
            }
            SafeTensors st = SafeTensors.read(weights);
            Map<String, NDArray> targets = new LinkedHashMap<>();
            Map<String, float[]> values = new LinkedHashMap<>();
            for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
                if (!e.getKey().startsWith(ClipTextModel.PREFIX)) {
                    targets.put(e.getKey(), e.getValue());
                }
            }
            for (String name : st.names()) {
                values.put(name, st.floats(name));
            }
            TensorMaps.copyInto(targets, values, weights.toString());
        } catch (IOException e) {
            throw new IllegalArgumentException("init_from \"" + dir + "\": " + e.getMessage()
                    + " (give a model folder train wrote, with unet/config.json and unet/" + UNet2DFolder.WEIGHTS_FILE + ")", e);
        }
    }

    private static TrainableModel newUntrained(TrainConfig config, NDManager manager) {
        if (config.srFactor() > 0) {
            return new SuperResolutionTrainable(UNet2DModel.create(config.unetConfig(), manager,
                    DiffusionTrainer.streamSeed(config.seed(), STREAM_INIT, 0)), config.srFactor(), config.srMaxNoiseLevel(),
                    config.noiseSchedule(), DiffusionTrainer.streamSeed(config.seed(), STREAM_LOW_RES, 0));
        }
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
