package org.diffusion4j.pipeline;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import org.diffusion4j.data.Split;
import org.diffusion4j.eval.ClassAccuracy;
import org.diffusion4j.eval.FeatureStats;
import org.diffusion4j.eval.FrechetDistance;
import org.diffusion4j.eval.GaussianStats;
import org.diffusion4j.eval.report.EditReport.Row;
import org.diffusion4j.io.ImageGrid;

/**
 * How well a Fashion-MNIST model edits the first n test images (issue: inpainting and SDEdit): each edit is scored
 * for realism — FD of the results against the test statistics with the project's classifier features, and the
 * classifier's accuracy for the original's class — and for faithfulness — the RMS distance to its input in the
 * model's range [−1, 1] and the distance of the classifier features. Inpainting also reports the largest 8-bit
 * difference in the kept region (0 when it is kept). FD of n images is biased upwards for small n: compare rows of
 * one run, and the {@link #originals()} row, which is n real test images.
 */
public final class EditEvaluation {

    /** The side of the blocks the SDEdit inputs are made of (the crude drawings). */
    public static final int BLOCK = 4;

    private final DiffusionPipeline model;
    private final Evaluation evaluation;
    private final EvalImages.Images test;
    private final float[] originals;

    /** Evaluates edits of the first {@code n} Fashion-MNIST test images by {@code model} (1×28×28). */
    public EditEvaluation(DiffusionPipeline model, Evaluation evaluation, int n) throws IOException {
        Evaluation.checkGray28(model);
        this.model = model;
        this.evaluation = evaluation;
        this.test = EvalImages.fashionMnist(Split.TEST, n, Evaluation.ANCHOR_SEED);
        try (NDManager m = model.manager().newSubManager()) {
            this.originals = test.toModelRange(m).toFloatArray();
        }
    }

    /** The class of each test image, for a class-conditional model's request. */
    public long[] labels() {
        return Evaluation.longs(test.labels());
    }

    public int size() {
        return test.size();
    }

    private long[] shape() {
        return new long[] {test.size(), 1, EvalImages.SIDE, EvalImages.SIDE};
    }

    /** The n real test images themselves: the best FD n images can reach, and the classifier's accuracy. */
    public Row originals() {
        return score("real test images", 0, originals, originals, null, 0);
    }

    /** The crude SDEdit inputs ({@link #crude()}) scored as they are (their distance to themselves is 0). */
    public Row crudeInputs() {
        return score("crude inputs (" + BLOCK + "x" + BLOCK + " blocks)", 0, crude(), crude(), null, 0);
    }

    /** The real test images scored against the crude inputs made from them: the distance a perfect restoration would keep. */
    public Row originalsOfCrude() {
        return score("real test images (the originals)", 0, originals, crude(), null, 0);
    }

    /**
     * The SDEdit inputs: each test image reduced to {@value #BLOCK}×{@value #BLOCK} blocks of their mean, four grey levels —
     * a crude drawing with the layout of the original, like the stroke paintings of the SDEdit paper.
     */
    public float[] crude() {
        float[] out = new float[originals.length];
        int side = EvalImages.SIDE;
        int per = side * side;
        for (int img = 0; img < test.size(); img++) {
            for (int by = 0; by < side; by += BLOCK) {
                for (int bx = 0; bx < side; bx += BLOCK) {
                    double sum = 0;
                    for (int y = by; y < by + BLOCK; y++) {
                        for (int x = bx; x < bx + BLOCK; x++) {
                            sum += originals[img * per + y * side + x];
                        }
                    }
                    float level = Math.round((sum / (BLOCK * BLOCK) + 1) * 1.5) / 1.5f - 1; // four levels in [−1, 1]
                    for (int y = by; y < by + BLOCK; y++) {
                        for (int x = bx; x < bx + BLOCK; x++) {
                            out[img * per + y * side + x] = level;
                        }
                    }
                }
            }
        }
        return out;
    }

    /** SDEdit of the crude inputs at {@code strength} with {@code request}'s sampler and steps. */
    public Row sdEdit(SampleRequest request, double strength) {
        float[] inputs = crude();
        ImageEdit edit = ImageEdit.sdEdit(inputs, shape(), strength);
        return run(String.format(java.util.Locale.ROOT, "SDEdit %.1f", strength), request, edit, inputs);
    }

    /** Inpainting of the {@code region} ({@link Masks#named}) of every test image by {@code method}. */
    public Row inpaint(String name, SampleRequest request, String region, ImageEdit.Method method, int jumpLength, int jumpNSample) {
        float[] one = Masks.named(EvalImages.SIDE, EvalImages.SIDE, region);
        float[] masks = new float[test.size() * one.length];
        for (int i = 0; i < test.size(); i++) {
            System.arraycopy(one, 0, masks, i * one.length, one.length);
        }
        ImageEdit edit = method == ImageEdit.Method.REPAINT ? ImageEdit.repaint(originals, shape(), masks, jumpLength, jumpNSample)
                : ImageEdit.blend(originals, shape(), masks);
        return run(name, request, edit, originals);
    }

    private Row run(String name, SampleRequest request, ImageEdit edit, float[] inputs) {
        SampleRequest r = request.withN(test.size()).withEdit(edit);
        long start = System.nanoTime();
        float[] values = model.sample(r, SampleListener.NONE).values();
        double seconds = (System.nanoTime() - start) / 1e9;
        return score(name, model.evaluations(r), values, inputs, edit.mask(), seconds);
    }

    private Row score(String name, int evaluations, float[] values, float[] inputs, float[] mask, double seconds) {
        int n = test.size();
        int per = EvalImages.SIDE * EvalImages.SIDE;
        try (NDManager m = model.manager().newSubManager()) {
            Shape shape = new Shape(n, 1, EvalImages.SIDE, EvalImages.SIDE);
            NDArray images = m.create(values, shape).clip(-1, 1);
            NDArray features = FeatureStats.features(evaluation.classifier(), images, FeatureStats.DEFAULT_BATCH);
            NDArray inputFeatures = FeatureStats.features(evaluation.classifier(), m.create(inputs, shape), FeatureStats.DEFAULT_BATCH);
            double fd = FrechetDistance.squared(evaluation.reference(), GaussianStats.of(features));
            ClassAccuracy.Result accuracy = ClassAccuracy.of(evaluation.classifier(), images, Evaluation.longs(test.labels()),
                    FeatureStats.DEFAULT_BATCH);
            double featureDistance = features.sub(inputFeatures).square().sum(new int[] {1}).sqrt().mean().getFloat();
            double rms = 0;
            int kept = mask == null ? -1 : 0;
            for (int img = 0; img < n; img++) {
                double sq = 0;
                for (int p = 0; p < per; p++) {
                    float v = Math.max(-1, Math.min(1, values[img * per + p]));
                    sq += (v - inputs[img * per + p]) * (v - inputs[img * per + p]);
                    if (mask != null && mask[img * per + p] == 0) {
                        kept = Math.max(kept, Math.abs(ImageGrid.toByte(values[img * per + p]) - ImageGrid.toByte(inputs[img * per + p])));
                    }
                }
                rms += Math.sqrt(sq / per) / n;
            }
            return new Row(name, evaluations, fd, accuracy.accuracy(), rms, featureDistance, kept, seconds);
        }
    }
}
