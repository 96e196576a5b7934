package org.diffusion4j.pipeline;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.diffusion4j.data.Batcher;
import org.diffusion4j.data.Shapes;
import org.diffusion4j.data.ShapesDataset;
import org.diffusion4j.data.Split;
import org.diffusion4j.eval.ShapesAnalyzer;
import org.diffusion4j.eval.report.ShapesEditReport.Row;
import org.diffusion4j.io.ImageGrid;

/**
 * Inpainting with a text-to-image model of the {@code shapes} data (issue: editing): each of the first n two-object
 * test images has one of its objects replaced — the object's box, grown by one pixel where that does not reach the
 * other object's box, is the mask, and the prompt is the caption with that object's colour and shape changed (both,
 * to others than before; the relation stays) — and the {@link ShapesAnalyzer} reads whether the result shows the
 * scene asked for: both objects with their colours and shapes, and the relation. The kept region must come back
 * unchanged (within 8-bit rounding), and how often the analyzer still reads the original scene shows edits that did
 * not take.
 */
public final class ShapesEditEvaluation {

    /**
     * One edit to make.
     *
     * @param original the test image's scene
     * @param target the scene asked for: {@code original} with item {@code replaced} of another colour and shape
     * @param replaced which item is repainted (0 or 1)
     */
    public record Task(Shapes.Scene original, Shapes.Scene target, int replaced) {}

    private final DiffusionPipeline model;
    private final int s;
    private final List<Task> tasks;
    private final float[] originals;
    private final float[] masks;

    /** The first {@code n} two-object test images of the model's size (seed {@code seed} of the test split). */
    public ShapesEditEvaluation(DiffusionPipeline model, int n, long seed) {
        long[] shape = model.imageShape();
        if (!model.isText() || shape[0] != 3 || shape[1] != shape[2]) {
            throw new IllegalArgumentException(model.folder() + ": the shapes editing evaluation needs a text-conditional model of "
                    + "square RGB images");
        }
        this.model = model;
        this.s = (int) shape[1];
        this.tasks = tasks(s, n, seed);
        int per = 3 * s * s;
        this.originals = new float[n * per];
        this.masks = new float[n * s * s];
        for (int i = 0; i < n; i++) {
            Task t = tasks.get(i);
            System.arraycopy(modelRange(Shapes.render(t.original().items(), s)), 0, originals, i * per, per);
            System.arraycopy(mask(t, s), 0, masks, i * s * s, s * s);
        }
    }

    /**
     * The edits of the first n two-object images of the test split (odd indices): item i mod 2 of image i is given a
     * colour other than both objects' and a shape other than its own, drawn from a stream seeded by (seed, i).
     */
    public static List<Task> tasks(int s, int n, long seed) {
        List<Task> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Shapes.Scene scene = ShapesDataset.scene(s, Split.TEST, seed, 2L * i + 1);
            int k = i % 2;
            Shapes.Item old = scene.items().get(k);
            Shapes.Item other = scene.items().get(1 - k);
            SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + i);
            Shapes.Colour colour;
            do {
                colour = Shapes.Colour.values()[r.nextInt(Shapes.Colour.values().length)];
            } while (colour == old.colour() || colour == other.colour());
            Shapes.Shape shape;
            do {
                shape = Shapes.Shape.values()[r.nextInt(Shapes.Shape.values().length)];
            } while (shape == old.shape());
            List<Shapes.Item> items = new ArrayList<>(scene.items());
            items.set(k, new Shapes.Item(shape, colour, old.size(), old.x0(), old.y0(), old.side()));
            Shapes.Item a = items.get(0);
            Shapes.Item b = items.get(1);
            String caption = String.format(Locale.ROOT, "a %s %s %s a %s %s", a.colour().word(), a.shape().word(),
                    scene.relation().words(), b.colour().word(), b.shape().word());
            out.add(new Task(scene, new Shapes.Scene(items, scene.relation(), caption), k));
        }
        return out;
    }

    /** The repainted region of a task, s·s values (1 = repaint): the replaced box grown by 1 px, but not into the other box. */
    static float[] mask(Task t, int s) {
        Shapes.Item box = t.original().items().get(t.replaced());
        Shapes.Item other = t.original().items().get(1 - t.replaced());
        float[] m = new float[s * s];
        for (int y = Math.max(0, box.y0() - 1); y < Math.min(s, box.y1() + 1); y++) {
            for (int x = Math.max(0, box.x0() - 1); x < Math.min(s, box.x1() + 1); x++) {
                boolean inBox = x >= box.x0() && x < box.x1() && y >= box.y0() && y < box.y1();
                boolean inOther = x >= other.x0() && x < other.x1() && y >= other.y0() && y < other.y1();
                m[y * s + x] = inBox || !inOther ? 1 : 0;
            }
        }
        return m;
    }

    public List<Task> tasks() {
        return tasks;
    }

    /** The prompts, one per task. */
    public List<String> prompts() {
        return tasks.stream().map(t -> t.target().caption()).toList();
    }

    /** {n, 3, s, s}. */
    public long[] shape() {
        return new long[] {tasks.size(), 3, s, s};
    }

    /** The test images, in the model's range. */
    public float[] originals() {
        return originals.clone();
    }

    /** The masks, n·s·s values. */
    public float[] masks() {
        return masks.clone();
    }

    /** The target scenes drawn by the generator: the ceiling (what a perfect edit could look like). */
    public float[] targets() {
        int per = 3 * s * s;
        float[] out = new float[tasks.size() * per];
        for (int i = 0; i < tasks.size(); i++) {
            System.arraycopy(modelRange(Shapes.render(tasks.get(i).target().items(), s)), 0, out, i * per, per);
        }
        return out;
    }

    /** The unedited test images read against the targets: the floor (≈ 0 correct, all unchanged). */
    public Row unedited() {
        return score("unedited test images", 0, originals, false, 0);
    }

    /** The target scenes drawn by the generator. */
    public Row ceiling() {
        return score("the target scenes drawn (ceiling)", 0, targets(), false, 0);
    }

    /** The edits by {@code method} with {@code request}'s sampler, steps and guidance; the results are returned through {@code sink}. */
    public Row inpaint(String name, SampleRequest request, ImageEdit.Method method, int jumpLength, int jumpNSample, float[][] sink) {
        ImageEdit edit = method == ImageEdit.Method.REPAINT ? ImageEdit.repaint(originals, shape(), masks, jumpLength, jumpNSample)
                : ImageEdit.blend(originals, shape(), masks);
        SampleRequest r = request.withN(tasks.size()).withPrompts(prompts()).withEdit(edit);
        long start = System.nanoTime();
        float[] values = model.sample(r, SampleListener.NONE).values();
        double seconds = (System.nanoTime() - start) / 1e9;
        if (sink != null) {
            sink[0] = values;
        }
        return score(name, model.evaluations(r), values, true, seconds);
    }

    private Row score(String name, int evaluations, float[] values, boolean edited, double seconds) {
        int per = 3 * s * s;
        byte[] pixels = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            pixels[i] = (byte) ImageGrid.toByte(values[i]);
        }
        int objects = 0;
        int correct = 0;
        int unchanged = 0;
        int kept = edited ? 0 : -1;
        for (int i = 0; i < tasks.size(); i++) {
            ShapesAnalyzer.Verdict v = ShapesAnalyzer.judge(tasks.get(i).target(), pixels, i * per, s);
            objects += v.objects() ? 1 : 0;
            correct += v.objects() && v.relation() ? 1 : 0;
            unchanged += ShapesAnalyzer.judge(tasks.get(i).original(), pixels, i * per, s).objects() ? 1 : 0;
            if (edited) {
                for (int c = 0; c < 3; c++) {
                    for (int p = 0; p < s * s; p++) {
                        if (masks[i * s * s + p] == 0) {
                            int at = i * per + c * s * s + p;
                            kept = Math.max(kept, Math.abs((pixels[at] & 0xFF) - ImageGrid.toByte(originals[at])));
                        }
                    }
                }
            }
        }
        double n = tasks.size();
        return new Row(name, evaluations, objects / n, correct / n, unchanged / n, kept, seconds);
    }

    private static float[] modelRange(byte[] pixels) {
        float[] v = new float[pixels.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = Batcher.toModelRange(pixels[i]);
        }
        return v;
    }
}
