package org.diffusion4j.pipeline;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import org.diffusion4j.data.Batcher;
import org.diffusion4j.data.Shapes;
import org.diffusion4j.data.ShapesDataset;
import org.diffusion4j.data.Split;
import org.diffusion4j.eval.FrechetDistance;
import org.diffusion4j.eval.GaussianStats;
import org.diffusion4j.eval.ShapesAnalyzer;
import org.diffusion4j.io.ImageGrid;
import org.diffusion4j.nn.ClipModel;
import org.diffusion4j.nn.ClipTokenizer;

/**
 * What a text-to-image model of the {@code shapes} data gets right, read by the {@link ShapesAnalyzer}: one-object
 * accuracy (colour and shape), size accuracy, two-object accuracy (both objects bound to the right colours, and the
 * relation), and accuracy on the held-out colour–shape pairs — next to the real test images, the ceiling.
 */
public final class ShapesEvaluation {

    /**
     * Accuracies in [0, 1] (NaN when there was nothing to score). The two-object figures are a funnel, as GenEval separates
     * "two objects", "colour attribution" and "position": {@code twoParts} ≥ {@code twoBound} ≥ {@code twoObject}.
     *
     * @param twoParts of the two-object images, the share with exactly two objects carrying the asked shapes and the asked
     *     colours, however paired
     * @param twoBound the share with each asked colour on its asked shape (attribute binding), the relation not checked
     * @param twoObject the share with both objects bound and the asked relation between them: everything right
     * @param images the images scored
     * @param fd the squared Fréchet distance of the images' CLIP image embeddings (the project's CLIP) to those of
     *     {@value #FD_REFERENCE_IMAGES} real test images — FD in the feature space of a CLIP image encoder, as "FD_CLIP"
     *     (Kynkäänniemi et al. 2023); NaN without a CLIP
     * @param clipScore the mean CLIP score of the images against their prompts (Hessel et al. 2021, with the project's
     *     CLIP: not comparable to published CLIP scores), NaN without a CLIP model
     */
    public record Scores(int images, double oneObject, double size, double twoParts, double twoBound, double twoObject, double heldOut, double clipScore, double fd) {}

    /** Real test images whose CLIP-image-feature statistics are FD's reference (drawn with another seed than the ceiling row). */
    public static final int FD_REFERENCE_IMAGES = 2000;

    /** A trained CLIP and its tokenizer (a train-clip folder), for the CLIP score. */
    public record Clip(ClipModel model, ClipTokenizer tokenizer) {}

    private ShapesEvaluation() {}

    /**
     * Samples {@code perPrompt} images for each evaluation prompt ({@link Shapes#evaluationPrompts}: the 42 one-object
     * captions and {@code twoObjectPrompts} two-object ones) with the settings of {@code base} and scores them.
     */
    public static Scores ofModel(DiffusionPipeline pipeline, SampleRequest base, int perPrompt, int twoObjectPrompts,
            SampleListener listener) {
        return ofModel(pipeline, base, perPrompt, twoObjectPrompts, null, listener);
    }

    /** {@link #ofModel(DiffusionPipeline, SampleRequest, int, int, SampleListener)} with the CLIP score when {@code clip} is given. */
    public static Scores ofModel(DiffusionPipeline pipeline, SampleRequest base, int perPrompt, int twoObjectPrompts, Clip clip,
            SampleListener listener) {
        if (!pipeline.isText()) {
            throw new IllegalArgumentException(pipeline.folder() + ": the shapes evaluation needs a text-conditional model");
        }
        long[] shape = pipeline.imageShape();
        if (shape[0] != 3 || shape[1] != shape[2]) {
            throw new IllegalArgumentException(pipeline.folder() + ": the model makes " + shape[0] + "x" + shape[1] + "x" + shape[2]
                    + " images; the shapes analyzer reads square RGB images");
        }
        List<String> perImage = promptsPerImage(perPrompt, twoObjectPrompts);
        return ofImages(pipeline.sample(base.withN(perImage.size()).withPrompts(perImage), listener), clip);
    }

    /**
     * The scores of images made for the captions they carry ({@code images.prompts()}), by any model or a cascade of them: what
     * {@link #ofModel} reports for the images it samples, FD and the CLIP score when {@code clip} is given.
     */
    public static Scores ofImages(SampledImages images, Clip clip) {
        Read r = read(images);
        return score(r.asked(), r.pixels(), 3 * r.s() * r.s(), r.s(), clip);
    }

    /** Images as the analyzer reads them: the scenes asked for, 8-bit pixels, the side. */
    private record Read(List<Shapes.Scene> asked, byte[] pixels, int s) {}

    private static Read read(SampledImages images) {
        long[] shape = images.shape();
        int s = (int) shape[2];
        if (images.prompts() == null || shape[1] != 3 || shape[2] != shape[3]) {
            throw new IllegalArgumentException("the shapes analyzer reads square RGB images of a text-conditional model, got "
                    + java.util.Arrays.toString(shape));
        }
        byte[] pixels = new byte[images.values().length];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (byte) ImageGrid.toByte(images.values()[i]);
        }
        List<Shapes.Scene> asked = new ArrayList<>();
        for (String p : images.prompts()) {
            asked.add(Shapes.parseCaption(p, s));
        }
        return new Read(asked, pixels, s);
    }

    /** The prompt of each image {@link #ofModel} samples: each evaluation prompt {@code perPrompt} times in a row. */
    public static List<String> promptsPerImage(int perPrompt, int twoObjectPrompts) {
        List<String> perImage = new ArrayList<>();
        for (String p : Shapes.evaluationPrompts(twoObjectPrompts)) {
            for (int i = 0; i < perPrompt; i++) {
                perImage.add(p);
            }
        }
        return perImage;
    }

    /** The same scores for the first {@code n} real images of the test split: the ceiling. */
    public static Scores ofRealImages(int s, int n, long seed) {
        return ofRealImages(s, n, seed, null);
    }

    /** {@link #ofRealImages(int, int, long)} with the CLIP score when {@code clip} is given. */
    public static Scores ofRealImages(int s, int n, long seed, Clip clip) {
        ShapesDataset d = ShapesDataset.generate(s, Split.TEST, seed, n);
        List<Shapes.Scene> asked = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            asked.add(d.sceneAt(i));
        }
        return score(asked, d.pixels(), d.imageBytes(), s, clip);
    }

    /**
     * What {@link Scores} are made of, for images scored in parts (a Spark partition's): the analyzer's counts and the sum
     * of the CLIP scores. Every field adds up, so parts' counts merged give the counts of the whole.
     *
     * @param clipSum the sum of the images' CLIP scores (summed in image order in double), 0 without a CLIP model
     */
    public record Counts(long images, long oneObject, long oneObjectRight, long sizeRight, long twoObject, long twoObjectParts,
            long twoObjectBound, long twoObjectRight, long heldOut, long heldOutRight, double clipSum) implements java.io.Serializable {

        /** The counts of both parts. */
        public Counts plus(Counts o) {
            return new Counts(images + o.images, oneObject + o.oneObject, oneObjectRight + o.oneObjectRight, sizeRight + o.sizeRight,
                    twoObject + o.twoObject, twoObjectParts + o.twoObjectParts, twoObjectBound + o.twoObjectBound, twoObjectRight + o.twoObjectRight, heldOut + o.heldOut, heldOutRight + o.heldOutRight,
                    clipSum + o.clipSum);
        }

        /** The accuracies, and the mean CLIP score (NaN when {@code withClip} is false); fd NaN. */
        public Scores scores(boolean withClip) {
            return new Scores((int) images, ratio(oneObjectRight, oneObject), ratio(sizeRight, oneObject), ratio(twoObjectParts, twoObject),
                    ratio(twoObjectBound, twoObject), ratio(twoObjectRight, twoObject),
                    ratio(heldOutRight, heldOut), withClip ? clipSum / images : Double.NaN, Double.NaN);
        }
    }

    /**
     * The counts of sampled images against the captions they were asked for ({@code images.prompts()}), as
     * {@link #ofModel} counts them; the CLIP-score sum when {@code clip} is given.
     */
    public static Counts count(SampledImages images, Clip clip) {
        Read r = read(images);
        return count(r.asked(), r.pixels(), 3 * r.s() * r.s(), r.s(), clip);
    }

    private static Scores score(List<Shapes.Scene> asked, byte[] pixels, int per, int s, Clip clip) {
        Counts c = count(asked, pixels, per, s, clip);
        return new Scores(asked.size(), ratio(c.oneObjectRight(), c.oneObject()), ratio(c.sizeRight(), c.oneObject()),
                ratio(c.twoObjectParts(), c.twoObject()), ratio(c.twoObjectBound(), c.twoObject()), ratio(c.twoObjectRight(), c.twoObject()), ratio(c.heldOutRight(), c.heldOut()),
                clip == null ? Double.NaN : c.clipSum() / asked.size(),
                clip == null ? Double.NaN : FrechetDistance.squared(clipReference(clip, s), embeddingStats(clip, pixels, asked.size(), per, s)));
    }

    private static Counts count(List<Shapes.Scene> asked, byte[] pixels, int per, int s, Clip clip) {
        int one = 0;
        int oneRight = 0;
        int sizeRight = 0;
        int two = 0;
        int twoParts = 0;
        int twoBound = 0;
        int twoRight = 0;
        int held = 0;
        int heldRight = 0;
        for (int i = 0; i < asked.size(); i++) {
            Shapes.Scene scene = asked.get(i);
            ShapesAnalyzer.Verdict v = ShapesAnalyzer.judge(scene, pixels, i * per, s);
            boolean heldOut = scene.items().stream().anyMatch(it -> Shapes.HELD_OUT.contains(it.pair()));
            if (scene.items().size() == 1) {
                one++;
                oneRight += v.objects() ? 1 : 0;
                sizeRight += v.objects() && v.sizes() ? 1 : 0;
                if (heldOut) {
                    held++;
                    heldRight += v.objects() ? 1 : 0;
                }
            } else {
                two++;
                twoParts += v.parts() ? 1 : 0;
                twoBound += v.objects() ? 1 : 0;
                twoRight += v.correct() ? 1 : 0;
            }
        }
        return new Counts(asked.size(), one, oneRight, sizeRight, two, twoParts, twoBound, twoRight, held, heldRight,
                clip == null ? 0 : clipScoreSum(clip, asked, pixels, per, s));
    }

    /**
     * The CLIP image embeddings of sampled images, [n, D] row-major, of the images as 8-bit pixels (as the analyzer reads
     * them and {@link #ofModel} embeds them): what FD in CLIP space is made of, for images scored in parts.
     */
    public static float[] clipFeatures(Clip clip, SampledImages images) {
        long[] shape = images.shape();
        int s = (int) shape[2];
        byte[] pixels = new byte[images.values().length];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (byte) ImageGrid.toByte(images.values()[i]);
        }
        int n = (int) shape[0];
        float[] out = new float[n * clip.model().embedDim()];
        int[] at = {0};
        embed(clip, pixels, n, 3 * s * s, s, f -> {
            float[] v = f.toFloatArray();
            System.arraycopy(v, 0, out, at[0], v.length);
            at[0] += v.length;
        });
        return out;
    }

    /** The CLIP-image-embedding statistics of {@value #FD_REFERENCE_IMAGES} real test images of size s (seed 1, not the ceiling's): FD's reference. */
    public static GaussianStats clipReference(Clip clip, int s) {
        ShapesDataset d = ShapesDataset.generate(s, Split.TEST, 1, FD_REFERENCE_IMAGES);
        return embeddingStats(clip, d.pixels(), d.size(), d.imageBytes(), s);
    }

    /** Gaussian statistics of the CLIP image embeddings of n images (uint8 pixels, {@code per} bytes each). */
    private static GaussianStats embeddingStats(Clip clip, byte[] pixels, int n, int per, int s) {
        GaussianStats.Accumulator acc = GaussianStats.accumulator(clip.model().embedDim());
        embed(clip, pixels, n, per, s, acc::add);
        return acc.build();
    }

    /** Gives the CLIP image embeddings of n images (uint8 pixels, {@code per} bytes each) to {@code sink}, in batches of 64, in order. */
    private static void embed(Clip clip, byte[] pixels, int n, int per, int s, java.util.function.Consumer<NDArray> sink) {
        try (NDManager m = NDManager.newBaseManager()) {
            for (int from = 0; from < n; from += 64) {
                int to = Math.min(n, from + 64);
                try (NDManager sub = m.newSubManager()) {
                    float[] v = new float[(to - from) * per];
                    for (int i = 0; i < v.length; i++) {
                        v[i] = Batcher.toModelRange(pixels[from * per + i]);
                    }
                    sink.accept(clip.model().imageFeatures(sub.create(v, new Shape(to - from, 3, s, s))));
                }
            }
        }
    }

    /** The sum of the CLIP scores of the images against the captions asked for, in batches of 64. */
    private static double clipScoreSum(Clip clip, List<Shapes.Scene> asked, byte[] pixels, int per, int s) {
        double sum = 0;
        try (NDManager m = NDManager.newBaseManager()) {
            for (int from = 0; from < asked.size(); from += 64) {
                int to = Math.min(asked.size(), from + 64);
                try (NDManager sub = m.newSubManager()) {
                    float[] v = new float[(to - from) * per];
                    for (int i = 0; i < v.length; i++) {
                        v[i] = Batcher.toModelRange(pixels[from * per + i]);
                    }
                    List<String> captions = asked.subList(from, to).stream().map(Shapes.Scene::caption).toList();
                    NDArray ids = sub.create(clip.tokenizer().encodeBatch(captions), new Shape(to - from, clip.tokenizer().maxLength()));
                    for (float c : clip.model().clipScores(sub.create(v, new Shape(to - from, 3, s, s)), ids)) {
                        sum += c;
                    }
                }
            }
        }
        return sum;
    }

    private static double ratio(long a, long b) {
        return b == 0 ? Double.NaN : (double) a / b;
    }
}
