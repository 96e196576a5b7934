package org.diffusion4j.spark;

import java.io.Serializable;
import java.util.List;
import org.diffusion4j.diffusion.VarianceType;
import org.diffusion4j.pipeline.SampleRequest;
import org.diffusion4j.sampling.SamplerOptions;
import org.diffusion4j.schedule.TimestepSpacing;

/**
 * What a Spark job samples and scores, as plain serializable values (broadcast to the executors, which
 * build the {@link SampleRequest} from it): the same settings as {@code diffusion4j sample}.
 *
 * @param model the model folder, at a path every executor can read (shared storage)
 * @param n images; image i depends only on (model, settings, seed, i)
 * @param seed the sampling seed
 * @param sampler a sampler name, or null for ddim
 * @param steps sampling steps, or null for the sampler's default
 * @param eta DDIM η, or null for the scheduler config's
 * @param spacing timestep spacing (leading, trailing, linspace), or null
 * @param variance DDPM reverse variance (fixed_small, fixed_large), or null
 * @param clipSample clamp the x₀ estimate, or null
 * @param karras Karras noise levels for the solvers, or null
 * @param classes class ids given to the images in turn (image i gets classes[i mod m]); null: every class (or none)
 * @param guidance classifier-free guidance scale, or null for the model's default
 * @param batch images per network call; also the unit of work ({@link Slice})
 * @param outDir where to write {@code sample_00000.png …} (shared storage), or null for none
 * @param classifier the feature-classifier folder for FD and class accuracy, or null for no metrics
 * @param prompts a text-conditional model's prompts, given to the images in turn (image i gets prompts[i mod m]); else null
 * @param negativePrompt the null condition of a text model's guidance, or null for ""
 * @param shapes whether to read a text model's images with the shapes analyzer ({@code ShapesEvaluation.Counts})
 * @param clip a train-clip folder for the CLIP score of a text model's images (with {@code shapes}), or null
 */
public record SparkSettings(String model, int n, long seed, String sampler, Integer steps, Double eta, String spacing,
        String variance, Boolean clipSample, Boolean karras, long[] classes, Double guidance, int batch, String outDir,
        String classifier, List<String> prompts, String negativePrompt, boolean shapes, String clip) implements Serializable {

    public SparkSettings {
        if (model == null) {
            throw new IllegalArgumentException("no model folder given");
        }
        if (n < 1) {
            throw new IllegalArgumentException("-n must be at least 1, got " + n);
        }
        if (batch < 1) {
            throw new IllegalArgumentException("--batch must be at least 1, got " + batch);
        }
        classes = classes == null ? null : classes.clone();
        prompts = prompts == null ? null : List.copyOf(prompts);
    }

    /** This run for {@code count} images (a table of requests: its rows). */
    public SparkSettings withN(int count) {
        return new SparkSettings(model, count, seed, sampler, steps, eta, spacing, variance, clipSample, karras, classes, guidance, batch,
                outDir, classifier, prompts, negativePrompt, shapes, clip);
    }

    /** n images from {@code seed} of {@code model}, every other setting at its default, no files, no metrics. */
    public static SparkSettings of(String model, int n, long seed) {
        return new SparkSettings(model, n, seed, null, null, null, null, null, null, null, null, null, SampleRequest.DEFAULT_BATCH,
                null, null, null, null, false, null);
    }

    public SparkSettings withSampler(String name, Integer numSteps) {
        return new SparkSettings(model, n, seed, name, numSteps, eta, spacing, variance, clipSample, karras, classes, guidance, batch,
                outDir, classifier, prompts, negativePrompt, shapes, clip);
    }

    public SparkSettings withBatch(int b) {
        return new SparkSettings(model, n, seed, sampler, steps, eta, spacing, variance, clipSample, karras, classes, guidance, b,
                outDir, classifier, prompts, negativePrompt, shapes, clip);
    }

    public SparkSettings withClasses(long[] ids, Double w) {
        return new SparkSettings(model, n, seed, sampler, steps, eta, spacing, variance, clipSample, karras, ids, w, batch,
                outDir, classifier, prompts, negativePrompt, shapes, clip);
    }

    public SparkSettings withOverrides(Double e, String s, String v, Boolean clipX0, Boolean k) {
        return new SparkSettings(model, n, seed, sampler, steps, e, s, v, clipX0, k, classes, guidance, batch, outDir, classifier,
                prompts, negativePrompt, shapes, clip);
    }

    public SparkSettings withOutDir(String dir) {
        return new SparkSettings(model, n, seed, sampler, steps, eta, spacing, variance, clipSample, karras, classes, guidance,
                batch, dir, classifier, prompts, negativePrompt, shapes, clip);
    }

    public SparkSettings withClassifier(String dir) {
        return new SparkSettings(model, n, seed, sampler, steps, eta, spacing, variance, clipSample, karras, classes, guidance,
                batch, outDir, dir, prompts, negativePrompt, shapes, clip);
    }

    /** This run for a text-conditional model: image i gets {@code texts[i mod m]}, guidance against {@code negative} (null: ""). */
    public SparkSettings withPrompts(List<String> texts, String negative) {
        return new SparkSettings(model, n, seed, sampler, steps, eta, spacing, variance, clipSample, karras, classes, guidance, batch,
                outDir, classifier, texts, negative, shapes, clip);
    }

    /** This run with its text-model images read by the shapes analyzer, and CLIP-scored with the train-clip folder {@code clipDir} (null: none). */
    public SparkSettings withShapesEvaluation(String clipDir) {
        return new SparkSettings(model, n, seed, sampler, steps, eta, spacing, variance, clipSample, karras, classes, guidance, batch,
                outDir, classifier, prompts, negativePrompt, true, clipDir);
    }

    /** This run with guidance scale {@code w} (null: the model's default). */
    public SparkSettings withGuidance(Double w) {
        return new SparkSettings(model, n, seed, sampler, steps, eta, spacing, variance, clipSample, karras, classes, w, batch,
                outDir, classifier, prompts, negativePrompt, shapes, clip);
    }

    @Override
    public long[] classes() {
        return classes == null ? null : classes.clone();
    }

    /** The request for the whole run (slices take {@code withN(count)} of it from their first index). */
    public SampleRequest request() {
        return new SampleRequest(n, seed, sampler, steps, this::applyOverrides, classes, guidance, batch, prompts,
                negativePrompt == null ? null : List.of(negativePrompt));
    }

    /** The scheduler config's sampler options with the given overrides. */
    SamplerOptions applyOverrides(SamplerOptions base) {
        SamplerOptions.Builder b = base.toBuilder();
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
    }
}
