package org.diffusion4j.pipeline;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.UnaryOperator;
import org.diffusion4j.diffusers.ModelFolder;
import org.diffusion4j.diffusers.PipelineDefaults;
import org.diffusion4j.diffusers.SchedulerConfig;
import org.diffusion4j.diffusers.StableDiffusionFolder;
import org.diffusion4j.diffusers.UNet2DFolder;
import org.diffusion4j.nn.UNet2DModel;
import org.diffusion4j.sampling.Sampler;
import org.diffusion4j.sampling.SamplerOptions;
import org.diffusion4j.sampling.Samplers;

/**
 * The front door: a model folder (diffusers layout — {@code unet/}, {@code scheduler/}, optional
 * {@code model_index.json} with class names) loaded once, then {@link #sample(SampleRequest, SampleListener)}
 * as often as wanted. The CLI, evaluation and tests all sample through here.
 *
 * <pre>{@code
 * try (DiffusionPipeline pipe = DiffusionPipeline.load(Path.of("models/fashion-mnist-ddpm"))) {
 *     SampledImages images = pipe.sample(SampleRequest.of(16, 0).withGuidance(2), SampleListener.NONE);
 * }
 * }</pre>
 *
 * Image i depends only on (model, settings, seed, i): it starts from draw i of
 * {@code NoiseSource.seeded(seed)} and takes its sampler noise from a stream of its own, whatever the
 * batch size or the number of images.
 */
public final class DiffusionPipeline implements AutoCloseable {

    /** The sampler of a request that names none. */
    public static final String DEFAULT_SAMPLER = "ddim";

    /** The steps of every sampler but {@code ddpm} (which takes T) when a request says none. */
    public static final int DEFAULT_STEPS = 50;

    private final Path folder;
    private final UNet2DModel unet;
    private final SchedulerConfig scheduler;
    private final ModelClasses classes;
    private final TextSampling text;
    private SuperResolution superResolution;
    private final NDManager manager;
    private final boolean ownsManager;

    private DiffusionPipeline(Path folder, UNet2DModel unet, TextSampling text, SchedulerConfig scheduler, ModelClasses classes,
            NDManager manager, boolean ownsManager) {
        this.folder = folder;
        this.unet = unet;
        this.text = text;
        this.scheduler = scheduler;
        this.classes = classes;
        this.manager = manager;
        this.ownsManager = ownsManager;
    }

    /** Loads the model folder {@code folder} into a manager of its own, closed with the pipeline. */
    public static DiffusionPipeline load(Path folder) throws IOException {
        NDManager manager = NDManager.newBaseManager();
        try {
            return load(folder, manager, true);
        } catch (IOException | RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /** Loads the model folder {@code folder} into {@code manager} (which the caller closes). */
    public static DiffusionPipeline load(Path folder, NDManager manager) throws IOException {
        return load(folder, manager, false);
    }

    private static DiffusionPipeline load(Path folder, NDManager manager, boolean owns) throws IOException {
        checkFolder(folder);
        SchedulerConfig scheduler = readScheduler(folder);
        if (StableDiffusionFolder.isStableDiffusion(folder)) {
            Double w = PipelineDefaults.read(new ModelFolder(folder)).guidanceScale();
            TextSampling text = new TextSampling(StableDiffusionFolder.load(folder, manager), scheduler, w);
            return new DiffusionPipeline(folder, null, text, scheduler, ModelClasses.UNCONDITIONAL, manager, owns);
        }
        UNet2DModel unet = UNet2DFolder.load(folder.resolve("unet"), manager);
        try {
            SuperResolution sr = SuperResolution.read(folder);
            if (sr != null) {
                DiffusionPipeline p = new DiffusionPipeline(folder, unet, null, scheduler, ModelClasses.UNCONDITIONAL, manager, owns);
                p.superResolution = sr;
                return p;
            }
            return new DiffusionPipeline(folder, unet, null, scheduler, ModelClasses.read(folder, unet.config()), manager, owns);
        } catch (IOException | RuntimeException e) {
            unet.close();
            throw e;
        }
    }

    /**
     * Checks that {@code dir} is a model folder (a directory with {@code unet/config.json}).
     *
     * @throws NoSuchFileException naming what is missing and the layout expected
     */
    public static Path checkFolder(Path dir) throws NoSuchFileException {
        if (!Files.isDirectory(dir)) {
            throw new NoSuchFileException(dir.toString(), null, "no such model folder");
        }
        Path config = dir.resolve("unet").resolve(UNet2DFolder.CONFIG_FILE);
        if (!Files.isRegularFile(config)) {
            throw new NoSuchFileException(config.toString(), null,
                    "not a model folder: expected unet/config.json and unet/" + UNet2DFolder.WEIGHTS_FILE + " (diffusers layout)");
        }
        return dir;
    }

    /** {@code dir/scheduler/scheduler_config.json}, parsed. */
    public static SchedulerConfig readScheduler(Path dir) throws IOException {
        Path file = dir.resolve("scheduler").resolve("scheduler_config.json");
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null,
                    "missing scheduler config; a diffusers model folder has scheduler/scheduler_config.json");
        }
        return SchedulerConfig.read(file);
    }

    public Path folder() {
        return folder;
    }

    /** The manager the networks live in. */
    public NDManager manager() {
        return manager;
    }

    /** The U-Net of an unconditional or class-conditional model; null for a text-conditional one ({@link #isText()}). */
    public UNet2DModel unet() {
        return unet;
    }

    /**
     * The prompts a text-conditional model will cut to its tokenizer's {@code model_max_length} (empty for others),
     * so a caller can warn.
     */
    public List<String> truncatedPrompts(List<String> prompts) {
        return text == null ? List.of() : text.truncated(prompts);
    }

    /** Whether the folder is a StableDiffusionPipeline (prompts, {@link SampleRequest#prompts()}). */
    /**
     * Latents [n, C, h, w] of a latent model (a text model with a VAE) as images: vae.decode(z / scaling_factor), NCHW floats
     * in [−1, 1] (unclamped); the values themselves for a model that diffuses pixels. What a trajectory of a latent model
     * shows.
     */
    public float[] decode(float[] latents, int n) {
        if (text == null || text.parts().vae() == null) {
            return latents;
        }
        return text.decode(latents, n, SampleRequest.DEFAULT_BATCH, manager);
    }

    /** The text half, or null for a model that is not text-conditional. */
    TextSampling textSampling() {
        return text;
    }

    public boolean isText() {
        return text != null;
    }

    public SchedulerConfig scheduler() {
        return scheduler;
    }

    public ModelClasses classes() {
        return classes;
    }

    /** The shape of one image the model makes: {C, H, W} (after the VAE's decoder for a latent model). */
    public long[] imageShape() {
        if (text != null) {
            return text.imageShape();
        }
        int size = unet.config().sampleSize();
        return new long[] {unet.config().outChannels(), size, size};
    }

    /** The shape the sampler runs on: the latents of a latent model, else {@link #imageShape()}. */
    public long[] latentShape() {
        return text != null ? text.latentShape() : imageShape();
    }

    /** The steps a sampler runs: {@code steps} when given, else T for {@code ddpm} and {@value #DEFAULT_STEPS} otherwise. */
    public static int steps(SchedulerConfig config, String sampler, Integer steps) {
        if (steps != null) {
            return steps;
        }
        return samplerName(sampler).equalsIgnoreCase("ddpm") ? config.numTrainTimesteps() : DEFAULT_STEPS;
    }

    /**
     * The sampler {@code name} (null: {@value #DEFAULT_SAMPLER}) over the config's noise schedule, with the
     * config's sampler settings, {@code steps} steps and the {@code overrides} (null: none) applied.
     *
     * @throws IllegalArgumentException for an unknown sampler or a setting it refuses, naming the accepted ones
     */
    public static Sampler sampler(SchedulerConfig config, String name, Integer steps, UnaryOperator<SamplerOptions> overrides) {
        if (steps != null && steps < 1) {
            throw new IllegalArgumentException("--steps must be at least 1, got " + steps);
        }
        Samplers.factory(samplerName(name));
        return Samplers.create(samplerName(name), config.noiseSchedule(), options(config, name, steps, overrides));
    }

    /** The options of {@link #sampler(SchedulerConfig, String, Integer, UnaryOperator)}: the config's, with the overrides. */
    static SamplerOptions options(SchedulerConfig config, String name, Integer steps, UnaryOperator<SamplerOptions> overrides) {
        SamplerOptions options = config.samplerOptions(steps(config, name, steps));
        return overrides == null ? options : overrides.apply(options);
    }

    /**
     * How the request's batches are made: plain sampling with {@code sampler}, or its {@link ImageEdit}.
     *
     * @throws IllegalArgumentException when the edit does not fit the model or the sampler cannot run it
     */
    BatchedSampling.Generation generation(SampleRequest request, Sampler sampler) {
        ImageEdit edit = request.edit();
        if (edit == null) {
            return (d, xT, from, to, noise, listener) -> sampler.sample(d, xT, noise, listener);
        }
        edit.check(imageShape());
        if (!Arrays.equals(latentShape(), imageShape())) {
            edit = edit.toLatents(text.parts().vae(), manager); // latent diffusion edits the latents of the images
        }
        return edit.generation(sampler, scheduler.noiseSchedule(), options(scheduler, request.sampler(), request.steps(), request.overrides()));
    }

    /** Network evaluations per image of {@code request}: the sampler's, or its edit's. */
    public int evaluations(SampleRequest request) {
        Sampler s = sampler(request);
        ImageEdit edit = request.edit();
        return edit == null ? s.evaluations()
                : edit.evaluations(s, scheduler.noiseSchedule(), options(scheduler, request.sampler(), request.steps(), request.overrides()));
    }

    private static String samplerName(String name) {
        return name == null ? DEFAULT_SAMPLER : name.trim();
    }

    /** The sampler of {@code request} for this model. */
    public Sampler sampler(SampleRequest request) {
        return sampler(scheduler, request.sampler(), request.steps(), request.overrides());
    }

    /**
     * What the images of {@code request} are conditioned on: image i takes {@code classes[i mod m]} (all
     * classes when the request names none) and the request's guidance, or the model's default.
     *
     * @throws IllegalArgumentException when the model cannot take the classes or the guidance
     */
    public ClassCondition condition(SampleRequest request) {
        return condition(request, 0);
    }

    /** The condition of images [first, first + n) of {@code request}: image i takes {@code classes[i mod m]}. */
    private ClassCondition condition(SampleRequest request, int first) {
        if (request.prompts() != null && text == null) {
            throw new IllegalArgumentException("--prompt: the model is not text-conditional (its folder is not a "
                    + "StableDiffusionPipeline); use --class for a class-conditional model");
        }
        if (!classes.conditional()) {
            if (request.classes() != null) {
                throw new IllegalArgumentException("--class: the model is unconditional (its unet/config.json has no num_class_embeds)");
            }
            if (request.guidance() != null) {
                throw new IllegalArgumentException(ModelClasses.GUIDANCE_NEEDS_CLASSES);
            }
            return ClassCondition.NONE;
        }
        long[] requested = request.classes() != null ? request.classes() : classes.parse("all");
        for (long id : requested) {
            if (id < 0 || id >= classes.count()) {
                throw new IllegalArgumentException("--class " + id + " is outside [0, " + (classes.count() - 1) + "]: the model has "
                        + classes.count() + " classes");
            }
        }
        return ClassCondition.of(classes, ModelClasses.cycle(first, request.n(), requested), classes.guidanceOrDefault(request.guidance()));
    }

    /** The super-resolution stage this folder is (a cascade's second model), or null. */
    public SuperResolution superResolution() {
        return superResolution;
    }

    /**
     * Upscales {@code low} ({@code lowShape} = {m, C, h, w}, the model's range; image i of the request takes low[i mod m])
     * with a super-resolution stage: x_T of image i is draw i of the request's seed, the condition is the low-resolution
     * image augmented at {@code noiseLevel} (−1: none) and upsampled.
     *
     * @throws IllegalArgumentException when the folder is not a super-resolution stage or the images are not its input size
     */
    public SampledImages upscale(float[] low, long[] lowShape, int noiseLevel, SampleRequest request, SampleListener listener) {
        if (superResolution == null) {
            throw new IllegalArgumentException(folder + " is not a super-resolution model (its model_index.json is not a "
                    + org.diffusion4j.diffusers.ModelFolder.SUPER_RESOLUTION + ")");
        }
        long[] image = imageShape();
        int f = superResolution.factor();
        if (lowShape.length != 4 || lowShape[1] != image[0] || lowShape[2] * f != image[1] || lowShape[3] * f != image[2]) {
            throw new IllegalArgumentException("--image: the model upscales " + image[0] + "x" + image[1] / f + "x" + image[2] / f
                    + " images (channels x height x width) by " + f + ", got " + java.util.Arrays.toString(lowShape));
        }
        if (noiseLevel < -1 || noiseLevel >= scheduler.numTrainTimesteps()) {
            throw new IllegalArgumentException("--noise-level must be in [-1, " + (scheduler.numTrainTimesteps() - 1) + "], got " + noiseLevel);
        }
        refuseTooMany(request.n());
        Sampler s = sampler(request);
        try (NDManager sub = manager.newSubManager()) {
            NDArray xT = BatchedSampling.seededNoise(sub, request.n(), image, request.seed());
            float[] values = new BatchedSampling(s, (from, to) -> superResolution.denoiser(unet, scheduler.predictionType(),
                    scheduler.noiseSchedule(), low, lowShape, noiseLevel, request.seed(), from, to), request.seed(), request.batch())
                    .sample(xT, listener);
            return new SampledImages(values, shapeOf(request.n()), s, steps(scheduler, request.sampler(), request.steps()),
                    ClassCondition.NONE, null);
        }
    }

    /**
     * The guidance scale a request without one gets: the folder's ({@link PipelineDefaults}) when it sets one, else 7.5
     * for a text model (diffusers' default), {@link ModelClasses#DEFAULT_GUIDANCE} for a class model with a null class,
     * 1 for one without, and null for an unconditional model (which takes no guidance).
     */
    public Double defaultGuidance() {
        if (text != null) {
            return text.defaultGuidance();
        }
        return classes.conditional() ? classes.guidanceOrDefault(null) : null;
    }

    /**
     * Checks {@code request} against this model without sampling: the sampler and steps, the classes
     * or prompts, the guidance and the memory the images take. What {@link #sample} would refuse, refused
     * before any work (for a caller that queues requests).
     *
     * @throws IllegalArgumentException naming the setting (as the CLI option) and the fix
     */
    public void check(SampleRequest request) {
        refuseSuperResolution();
        refuseTooMany(request.n());
        sampler(request);
        if (text != null) {
            TextSampling.promptsOf(request);
            text.guidanceOf(request);
        } else {
            condition(request);
        }
    }

    /** Samples {@code request} from seeded noise: image i starts from draw i of {@code NoiseSource.seeded(seed)}. */
    public SampledImages sample(SampleRequest request, SampleListener listener) {
        refuseSuperResolution();
        refuseTooMany(request.n());
        if (text != null) {
            try (NDManager sub = manager.newSubManager()) {
                return sample(request, BatchedSampling.seededNoise(sub, request.n(), latentShape(), request.seed()), listener);
            }
        }
        if (request.edit() != null) {
            try (NDManager sub = manager.newSubManager()) {
                return sample(request, BatchedSampling.seededNoise(sub, request.n(), latentShape(), request.seed()), listener);
            }
        }
        Sampler s = sampler(request);
        ClassCondition c = condition(request);
        float[] values = generate(s, c, request.n(), request.seed(), request.batch(), listener);
        return new SampledImages(values, shapeOf(request.n()), s, steps(scheduler, request.sampler(), request.steps()), c, null);
    }

    /**
     * Images [first, first + n) of a request for more images: image first + j of {@code request} with n
     * raised to cover it, bit for bit — x_T draw, class label and sampler-noise stream are those of its
     * global index. This is how a slice of a large run (a Spark partition, a resumed run) is made anywhere.
     *
     * For a text-conditional model image first + j takes prompt {@code prompts[(first + j) mod m]} (and negative prompt
     * likewise), as in the whole request.
     *
     * @throws IllegalArgumentException for a negative {@code first}, or {@code first > 0} for an edit of a text-conditional model
     */
    public SampledImages sample(SampleRequest request, int first, SampleListener listener) {
        if (first < 0) {
            throw new IllegalArgumentException("the first image index must be >= 0, got " + first);
        }
        if (first == 0) {
            return sample(request, listener);
        }
        if (text != null && request.edit() != null) {
            throw new IllegalArgumentException("images from index " + first + ": slices of an edit are not supported for "
                    + "text-conditional models yet; edit from image 0");
        }
        refuseTooMany(request.n());
        try (NDManager sub = manager.newSubManager()) {
            return sample(request, BatchedSampling.seededNoise(sub, first, request.n(), latentShape(), request.seed()), first, listener);
        }
    }

    /** Samples {@code request} from the given x_T ([N, C, H, W]; N must equal the request's n). */
    public SampledImages sample(SampleRequest request, NDArray xT, SampleListener listener) {
        return sample(request, xT, 0, listener);
    }

    private SampledImages sample(SampleRequest request, NDArray xT, int first, SampleListener listener) {
        refuseSuperResolution();
        long[] s = xT.getShape().getShape();
        long[] image = latentShape();
        if (s.length != 4 || s[0] != request.n() || s[1] != image[0] || s[2] != image[1] || s[3] != image[2]) {
            throw new IllegalArgumentException("x_T has shape " + Arrays.toString(s) + " but the model takes [" + request.n()
                    + ", " + image[0] + ", " + image[1] + ", " + image[2] + "]");
        }
        Sampler sampler = sampler(request);
        if (text != null) {
            return text.sample(request, xT, first, generation(request, sampler), sampler,
                    steps(scheduler, request.sampler(), request.steps()), listener, manager);
        }
        ClassCondition c = condition(request, first);
        NDArray x = xT.getDataType() == DataType.FLOAT32 ? xT : xT.toType(DataType.FLOAT32, false);
        try {
            BatchedSampling.Denoisers local = c.denoisers(unet, scheduler.predictionType());
            BatchedSampling.Denoisers denoisers = (from, to) -> local.forImages(from - first, to - first);
            float[] values = new BatchedSampling(generation(request, sampler), denoisers, request.seed(), request.batch())
                    .sample(x, first, listener);
            return new SampledImages(values, s.clone(), sampler, steps(scheduler, request.sampler(), request.steps()), c, null);
        } finally {
            if (x != xT) {
                x.close();
            }
        }
    }

    /**
     * Samples n images with {@code sampler} from the seeded x_T, in batches of {@code batch}, and returns
     * them as NCHW floats (unclamped). {@code condition} gives each image its class and the guidance scale.
     *
     * @throws IllegalArgumentException when n images cannot fit in this JVM's memory, stating the size
     */
    public float[] generate(Sampler sampler, ClassCondition condition, int n, long seed, int batch, SampleListener listener) {
        if (condition.labels() != null && condition.labels().length != n) {
            throw new IllegalArgumentException(condition.labels().length + " class labels for " + n + " images");
        }
        refuseTooMany(n);
        try (NDManager sub = manager.newSubManager()) {
            NDArray xT = BatchedSampling.seededNoise(sub, n, imageShape(), seed);
            return new BatchedSampling(sampler, condition.denoisers(unet, scheduler.predictionType()), seed, batch)
                    .sample(xT, listener);
        }
    }

    private void refuseSuperResolution() {
        if (superResolution != null) {
            throw new IllegalArgumentException(folder + " is a super-resolution model: it upscales images (upscale --model "
                    + folder + " --image FILE) rather than sampling from noise alone");
        }
    }

    /** Refuses, stating the size, n images that cannot fit in this JVM's memory. */
    private void refuseTooMany(int n) {
        String tooMany = BatchedSampling.tooMany(n, imageShape(), Runtime.getRuntime().maxMemory());
        if (tooMany != null) {
            throw new IllegalArgumentException(tooMany);
        }
    }

    private long[] shapeOf(int n) {
        long[] image = imageShape();
        return new long[] {n, image[0], image[1], image[2]};
    }

    @Override
    public void close() {
        if (unet != null) {
            unet.close();
        }
        if (text != null) {
            text.parts().close();
        }
        if (ownsManager) {
            manager.close();
        }
    }
}
