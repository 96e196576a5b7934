package org.diffusion4j.pipeline;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import org.diffusion4j.data.Batcher;
import org.diffusion4j.data.Shapes;
import org.diffusion4j.data.ShapesDataset;
import org.diffusion4j.data.Split;
import org.diffusion4j.diffusion.PredictionType;
import org.diffusion4j.diffusion.Scalar;
import org.diffusion4j.schedule.NoiseSchedule;

/**
 * Whether a text model binds, read from its likelihood instead of its samples: the diffusion classifier (Li et al. 2023,
 * "Your Diffusion Model is Secretly a Zero-Shot Classifier", Algorithm 1) choosing between a real two-object test image's
 * caption and the same words bound the other way — the colours swapped between the shapes (ARO's VG-Attribution,
 * {@link Shapes#swappedColours}) or the objects swapped around the relation (VG-Relation, {@link Shapes#swappedOrder}).
 *
 * <p>For image x₀ and caption c the score is Σ_k ‖ε_k − ε̂(√ᾱ_{t_k} x₀ + √(1 − ᾱ_{t_k}) ε_k, t_k, c)‖² over K draws
 * (t_k evenly spaced over [0, T), as the paper's, and ε_k seeded per image and draw), the same draws for every caption;
 * the caption with the lower score is chosen. The ε-error is that of the paper (the ELBO's, up to the weights) whatever
 * the model predicts. Differences within float rounding of the score (relative 1e-5) are ties and count one half: a model
 * that cannot tell the captions apart — a bag of words sees the same words — scores 0.5, not a coin's luck. No guidance,
 * no sampler. A latent model reads its VAE's mean latents, scaled as in training.
 */
public final class BindingProbe {

    /** Two-object test images of a measurement by default. */
    public static final int IMAGES = 128;

    /** The most images of a measurement (the test split generated to find them is 8 times as large). */
    public static final int MAX_IMAGES = 16_384;

    /** (t, ε) draws per image. */
    public static final int DRAWS = 16;

    /** A score difference below this fraction of the score is a tie (float32 rounding, summation order). */
    static final double TIE = 1e-5;

    private static final int GROUP = 16;

    /** The choices of one test: the images it applies to, the right choices (ties count one half) and the ties. */
    public record Choices(int tests, double right, int ties) {

        static final Choices NONE = new Choices(0, 0, 0);

        /** These choices and one more ({@link #choice}: 1, 0 or 1/2). */
        Choices plus(double choice) {
            return new Choices(tests + 1, right + choice, ties + (choice == 0.5 ? 1 : 0));
        }

        public double accuracy() {
            return tests == 0 ? Double.NaN : right / tests;
        }
    }

    /**
     * The measurement: the colour test (a caption of two objects of one colour has no colour swap, so it may apply to
     * fewer images) and the order test.
     */
    public record Result(int images, int draws, Choices colours, Choices order) {}

    private BindingProbe() {}

    /**
     * Measures {@code pipe} (a text model of the shapes data) on the first {@code images} two-object captions of the test
     * split made from {@code seed}, with {@code draws} draws each.
     *
     * @throws IllegalArgumentException for a model that is not text-conditional
     */
    public static Result measure(DiffusionPipeline pipe, int images, int draws, long seed) {
        TextSampling text = pipe.textSampling();
        if (text == null) {
            throw new IllegalArgumentException("--binding: the model is not text-conditional (a StableDiffusionPipeline folder)");
        }
        if (images < 1 || images > MAX_IMAGES || draws < 1) {
            throw new IllegalArgumentException("the binding probe needs at least one image and one draw, got " + images + " and " + draws);
        }
        int s = (int) pipe.imageShape()[1];
        List<Integer> picked = new ArrayList<>();
        ShapesDataset d = ShapesDataset.generate(s, Split.TEST, seed, 8 * images);
        for (int i = 0; i < d.size() && picked.size() < images; i++) {
            if (Shapes.swappedOrder(d.caption(i)) != null) {
                picked.add(i);
            }
        }
        double[][] scores = new double[picked.size()][3];
        for (int from = 0; from < picked.size(); from += GROUP) {
            int to = Math.min(picked.size(), from + GROUP);
            score(text, d, picked.subList(from, to), from, draws, seed, scores, pipe.manager());
        }
        Choices colours = Choices.NONE;
        Choices order = Choices.NONE;
        for (int j = 0; j < picked.size(); j++) {
            String caption = d.caption(picked.get(j));
            if (!caption.equals(Shapes.swappedColours(caption))) {
                colours = colours.plus(choice(scores[j][0], scores[j][1]));
            }
            order = order.plus(choice(scores[j][0], scores[j][2]));
        }
        return new Result(picked.size(), draws, colours, order);
    }

    /** 1 when the own caption's score is the lower, 0 when the other's is, 1/2 for a tie. */
    static double choice(double own, double other) {
        if (Math.abs(own - other) <= TIE * Math.max(Math.abs(own), Math.abs(other))) {
            return 0.5;
        }
        return own < other ? 1 : 0;
    }

    /** Adds the scores of images {@code rows} (probe indices first…) under their three captions to {@code scores}. */
    private static void score(TextSampling text, ShapesDataset d, List<Integer> rows, int first, int draws, long seed,
            double[][] scores, NDManager manager) {
        int g = rows.size();
        List<String> captions = new ArrayList<>();
        for (int c = 0; c < 3; c++) {
            for (int row : rows) {
                String own = d.caption(row);
                String alt = c == 0 ? own : c == 1 ? Shapes.swappedColours(own) : Shapes.swappedOrder(own);
                captions.add(alt);
            }
        }
        NoiseSchedule schedule = text.scheduler().noiseSchedule();
        PredictionType type = text.scheduler().predictionType();
        TextUNetDenoiser unet = new TextUNetDenoiser(text.parts().unet(), type);
        long[] latent = text.latentShape();
        try (NDManager group = manager.newSubManager()) {
            long[] hidden = text.encoding().shape();
            NDArray condition = group.create(text.encoding().encode(captions, group), new Shape(3L * g, hidden[0], hidden[1]));
            NDArray x0 = latents(text, d, rows, group);
            int steps = schedule.numTimesteps();
            for (int k = 0; k < draws; k++) {
                int t = (int) ((k + 0.5) * steps / draws);
                double ab = schedule.alphaCumprod(t);
                try (NDManager step = group.newSubManager()) {
                    NDArray eps = BatchedSampling.seededNoise(step, first, g, latent, seed * 1_000_003L + k);
                    // ε first: a result lives in its first operand's manager, so this step's tensors go with the step
                    NDArray xt = Scalar.times(eps, Math.sqrt(1 - ab)).add(Scalar.times(x0, Math.sqrt(ab)));
                    NDArray x3 = NDArrays.concat(new NDList(xt, xt, xt), 0);
                    NDArray eps3 = NDArrays.concat(new NDList(eps, eps, eps), 0);
                    NDArray epsHat = type.predictedEpsilon(unet.predict(x3, t, condition), x3, ab);
                    float[] err = eps3.sub(epsHat).square().reshape(3L * g, -1).mean(new int[] {1}).toFloatArray();
                    for (int c = 0; c < 3; c++) {
                        for (int j = 0; j < g; j++) {
                            scores[first + j][c] += err[c * g + j];
                        }
                    }
                }
            }
        }
    }

    /** x₀ of the rows: the images in [−1, 1], or their VAE's mean latents times its scaling factor. */
    private static NDArray latents(TextSampling text, ShapesDataset d, List<Integer> rows, NDManager manager) {
        int per = d.imageBytes();
        byte[] pixels = d.pixels();
        float[] x = new float[rows.size() * per];
        for (int j = 0; j < rows.size(); j++) {
            for (int p = 0; p < per; p++) {
                x[j * per + p] = Batcher.toModelRange(pixels[rows.get(j) * per + p] & 0xff);
            }
        }
        NDArray images = manager.create(x, new Shape(rows.size(), d.channels(), d.height(), d.width()));
        if (text.parts().vae() == null) {
            return images;
        }
        return text.parts().vae().scaledMeanLatents(images);
    }
}
