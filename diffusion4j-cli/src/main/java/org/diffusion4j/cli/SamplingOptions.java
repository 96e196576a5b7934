package org.diffusion4j.cli;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.diffusion4j.diffusers.SchedulerConfig;
import org.diffusion4j.diffusion.VarianceType;
import org.diffusion4j.pipeline.DiffusionPipeline;
import org.diffusion4j.pipeline.ModelClasses;
import org.diffusion4j.pipeline.SampleListener;
import org.diffusion4j.pipeline.SampleRequest;
import org.diffusion4j.pipeline.SampledImages;
import org.diffusion4j.pipeline.SuperResolution;
import org.diffusion4j.sampling.Sampler;
import org.diffusion4j.sampling.SamplerOptions;
import org.diffusion4j.schedule.TimestepSpacing;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The sampling options shared by {@code sample}, {@code eval} and {@code bench-samplers}, each
 * defined once here as a picocli mixin: which sampler ({@link Choice}: {@code sample}, {@code eval}),
 * the scheduler-config overrides ({@link Overrides}: all three) and the class conditioning with
 * classifier-free guidance ({@link Conditioning}: all three), and a cascade's super-resolution stage
 * ({@link Cascade}: {@code sample}, {@code eval}). Every option is null when not given, so
 * a command can tell "not given" from a default.
 */
final class SamplingOptions {

    private SamplingOptions() {}

    /** {@code --sampler} and {@code --steps}. */
    static final class Choice {

        @Option(names = "--sampler", paramLabel = "NAME", completionCandidates = SamplerNames.class,
                description = "Sampler: ${COMPLETION-CANDIDATES} (default: ddim).")
        String sampler;

        @Option(names = "--steps", paramLabel = "N",
                description = "Sampling steps (default: T, the training length, for ddpm; 50 otherwise).")
        Integer steps;

        @Spec(Spec.Target.MIXEE)
        CommandSpec spec;

        /** Whether --sampler or --steps was given. */
        boolean given() {
            return sampler != null || steps != null;
        }

        /** The sampler name (ddim when not given). */
        String name() {
            return sampler == null ? "ddim" : sampler.trim();
        }

        /** --steps, or T for ddpm and 50 for the others. */
        int stepsUsed(SchedulerConfig config) {
            return DiffusionPipeline.steps(config, sampler, steps);
        }

        /** The sampler, with the scheduler config's settings and the overrides applied. */
        Sampler create(SchedulerConfig config, Overrides overrides) {
            try {
                return DiffusionPipeline.sampler(config, sampler, steps, overrides::apply);
            } catch (IllegalArgumentException e) {
                throw usage(spec, e.getMessage());
            }
        }
    }

    /** Overrides of the model's {@code scheduler/scheduler_config.json}. */
    static final class Overrides {

        @Option(names = "--eta", paramLabel = "E", description = "DDIM eta in [0, 1]: 0 deterministic, 1 DDPM-like (default: 0).")
        Double eta;

        @Option(names = "--spacing", paramLabel = "S", description = "Timestep spacing: leading, trailing, linspace (default: the scheduler config's).")
        String spacing;

        @Option(names = "--variance", paramLabel = "V", description = "DDPM variance: fixed_small or fixed_large (default: the scheduler config's).")
        String variance;

        @Option(names = "--clip-sample", negatable = true, paramLabel = "",
                description = "Clamp the x0 estimate to [-1, 1] each step (default: the scheduler config's).")
        Boolean clipSample;

        @Option(names = "--karras", negatable = true, description = "Solvers: Karras et al. noise levels (default: the scheduler config's).")
        Boolean karras;

        @Spec(Spec.Target.MIXEE)
        CommandSpec spec;

        /** Whether any override was given. */
        boolean given() {
            return eta != null || spacing != null || variance != null || clipSample != null || karras != null;
        }

        /** {@code base} with the given overrides; a bad value is a usage error. */
        SamplerOptions apply(SamplerOptions base) {
            SamplerOptions.Builder b = base.toBuilder();
            try {
                if (eta != null) {
                    b.eta(eta);
                }
                if (spacing != null) {
                    b.spacing(TimestepSpacing.parse(spacing));
                }
                if (variance != null) {
                    b.varianceType(VarianceType.parse(variance));
                }
                if (clipSample != null) {
                    b.clipSample(clipSample);
                }
                if (karras != null) {
                    b.karrasSigmas(karras);
                }
                return b.build();
            } catch (IllegalArgumentException e) {
                throw usage(spec, e.getMessage());
            }
        }

        /** The given overrides as {@code eta=0.5,spacing=trailing} (empty when none). */
        String describe() {
            List<String> parts = new ArrayList<>();
            if (eta != null) {
                parts.add("eta=" + eta);
            }
            if (spacing != null) {
                parts.add("spacing=" + spacing.trim().toLowerCase(Locale.ROOT));
            }
            if (variance != null) {
                parts.add("variance=" + variance.trim().toLowerCase(Locale.ROOT));
            }
            if (clipSample != null) {
                parts.add("clip_sample=" + clipSample);
            }
            if (karras != null) {
                parts.add("karras=" + karras);
            }
            return String.join(",", parts);
        }
    }

    /** {@code --class} and {@code --guidance}: what a class-conditional model is asked for. */
    static final class Conditioning {

        /** The default guidance scale of a model with a null class, as help text. */
        static final String DEFAULT_GUIDANCE_TEXT = "2";

        @Option(names = "--class", paramLabel = "all|C[,C...]",
                description = {"Class-conditional models: the classes to generate, by id or name (case-insensitive: 7, sneaker, "
                        + "T-shirt/top, ankle-boot), comma-separated, given to the images in turn; all = every class (default).",
                    "'sample' without -n draws one row of 8 per class."})
        String classes;

        @Option(names = "--guidance", split = ",", paramLabel = "W",
                description = {"Classifier-free guidance scale w (diffusers' guidance_scale): eps_null + w (eps_c - eps_null); "
                        + "1 = conditional only (one network input), 0 = unconditional. Needs a model trained with a null class "
                        + "(p_uncond > 0) or a text model. Default: the model folder's (\"_diffusion4j\": {\"guidance_scale\": W} "
                        + "in model_index.json, which diffusers ignores), else " + DEFAULT_GUIDANCE_TEXT + " for class models, 7.5 for "
                        + "text models (diffusers' default), 1 without a null class.",
                    "'eval' takes a list (0,1,2,4) and measures the trade-off."})
        List<Double> guidance;

        @Spec(Spec.Target.MIXEE)
        CommandSpec spec;

        /** Whether --class or --guidance was given. */
        boolean given() {
            return classes != null || guidance != null;
        }

        /**
         * The class ids asked for, in order (all classes for {@code all} or no --class); null for an
         * unconditional model, which refuses --class.
         */
        long[] requested(ModelClasses model) {
            if (!model.conditional()) {
                if (classes != null) {
                    throw usage(spec, "--class: the model is unconditional (its unet/config.json has no num_class_embeds)");
                }
                return null;
            }
            try {
                return model.parse(classes == null ? "all" : classes);
            } catch (IllegalArgumentException e) {
                throw usage(spec, e.getMessage());
            }
        }

        /** The guidance scales asked for (the model's default when none), each checked against the model. */
        List<Double> scales(ModelClasses model) {
            if (guidance == null || guidance.isEmpty()) {
                return List.of(defaultScale(model));
            }
            for (Double w : guidance) {
                if (w == null || !(w >= 0) || w.isInfinite()) {
                    throw usage(spec, "--guidance takes finite scales >= 0 (1 = conditional only, 0 = unconditional), got " + guidance);
                }
                try {
                    model.checkGuidance(w);
                } catch (IllegalArgumentException e) {
                    throw usage(spec, e.getMessage());
                }
            }
            return List.copyOf(guidance);
        }

        /** The one guidance scale of a command that takes a single value. */
        double scale(ModelClasses model) {
            List<Double> s = scales(model);
            if (s.size() != 1) {
                throw usage(spec, "--guidance takes one scale here, got " + guidance + " (eval --guidance takes a list)");
            }
            return s.get(0);
        }

        /** 1 for unconditional models and models without a null class; {@link ModelClasses#DEFAULT_GUIDANCE} otherwise. */
        static double defaultScale(ModelClasses model) {
            return model.guidanceOrDefault(null);
        }
    }

    /** {@code --upscale} and its settings: a cascade's super-resolution stage after the model ({@code sample}, {@code eval}). */
    static final class Cascade {

        @Option(names = "--upscale", paramLabel = "DIR",
                description = "A cascade (CDM, Imagen): enlarge every image with this super-resolution model (train with sr_factor), "
                        + "with the same sampler and seed.")
        Path upscale;

        @Option(names = "--upscale-steps", paramLabel = "N", description = "Steps of the super-resolution stage (default: --steps).")
        Integer upscaleSteps;

        @Option(names = "--upscale-noise-level", paramLabel = "S",
                description = "Conditioning augmentation of the small images, -1 for none (default: half the stage's largest training level).")
        Integer upscaleNoiseLevel;

        @Spec(Spec.Target.MIXEE)
        CommandSpec spec;

        /** Whether --upscale was given. */
        boolean given() {
            return upscale != null;
        }

        /** The images enlarged by the stage and what was done, as one line. */
        record Upscaled(SampledImages images, String line) {}

        /**
         * {@code base} enlarged by the super-resolution stage: image i from image i, noise from {@code seed}, the sampler
         * of {@code choice} with {@code --upscale-steps}, keeping what each image was asked for (its class or prompt);
         * {@code base} itself, with no line, without --upscale.
         */
        Upscaled apply(SampledImages base, NDManager manager, long seed, Choice choice, Overrides overrides, int batch,
                SampleListener listener) throws IOException {
            if (upscale == null) {
                return new Upscaled(base, null);
            }
            try (DiffusionPipeline sr = DiffusionPipeline.load(upscale, manager)) {
                SuperResolution stage = sr.superResolution();
                if (stage == null) {
                    throw usage(spec, "--upscale " + upscale + " is not a super-resolution model (train one with a config that sets sr_factor)");
                }
                int level = upscaleNoiseLevel != null ? upscaleNoiseLevel : stage.maxNoiseLevel() / 2;
                SampleRequest r = new SampleRequest(base.count(), seed, choice.sampler, upscaleSteps != null ? upscaleSteps : choice.steps,
                        overrides::apply, null, null, batch);
                long start = System.nanoTime();
                SampledImages big;
                try {
                    big = sr.upscale(base.values(), base.shape(), level, r, listener);
                } catch (IllegalArgumentException e) {
                    throw usage(spec, "--upscale " + upscale + ": "
                            + e.getMessage().replace("--image: ", "").replace("--noise-level", "--upscale-noise-level"));
                }
                big = new SampledImages(big.values(), big.shape(), big.sampler(), big.steps(), base.condition(), base.prompts());
                long[] shape = big.shape();
                return new Upscaled(big, String.format(Locale.ROOT, "upscaled to %dx%d by %s (%s, %d steps, input noise level %d) in %.1f s",
                        shape[3], shape[2], upscale, big.sampler().name(), big.steps(), level, (System.nanoTime() - start) / 1e9));
            }
        }
    }

    static ParameterException usage(CommandSpec spec, String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
