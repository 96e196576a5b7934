package org.diffusion4j.data;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * N images of the {@link Shapes} data set with their captions and scenes, generated from (seed, split, index):
 * image i is the same whatever N, and {@code train} and {@code test} are separate streams ({@code train} without
 * the held-out pairs). Unlabelled as an {@link ImageDataset} (the caption is the condition).
 */
public final class ShapesDataset implements CaptionedImages {

    /** The canvas size by default. */
    public static final int DEFAULT_SIZE = 32;
    /** At most this many images are generated at once (about 0.5 GB at S = 64). */
    public static final int MAX_IMAGES = 1 << 20;

    private final int s;
    private final Split split;
    private final long seed;
    private final byte[] pixels;
    private final List<Shapes.Scene> scenes;

    private ShapesDataset(int s, Split split, long seed, byte[] pixels, List<Shapes.Scene> scenes) {
        this.s = s;
        this.split = split;
        this.seed = seed;
        this.pixels = pixels;
        this.scenes = List.copyOf(scenes);
    }

    /**
     * The first {@code n} images of {@code split} at canvas size {@code s}.
     *
     * @throws IllegalArgumentException for a size outside [16, 256] or n outside [1, {@value #MAX_IMAGES}]
     */
    public static ShapesDataset generate(int s, Split split, long seed, int n) {
        if (s < 16 || s > 256) {
            throw new IllegalArgumentException("--size must be in [16, 256] (the small objects need 4 px), got " + s);
        }
        if (n < 1 || n > MAX_IMAGES) {
            throw new IllegalArgumentException("shapes: n must be in [1, " + MAX_IMAGES + "], got " + n);
        }
        int per = 3 * s * s;
        byte[] pixels = new byte[n * per];
        List<Shapes.Scene> scenes = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Shapes.Scene scene = scene(s, split, seed, i);
            scenes.add(scene);
            System.arraycopy(Shapes.render(scene.items(), s), 0, pixels, i * per, per);
        }
        return new ShapesDataset(s, split, seed, pixels, scenes);
    }

    /** The scene of image {@code index} of a split's stream. */
    public static Shapes.Scene scene(int s, Split split, long seed, long index) {
        long stream = split == Split.TRAIN ? 0x7A11L : 0x7E57L;
        // SplittableRandom mixes its seed; odd multipliers keep (seed, split, index) streams apart
        SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + stream * 0xD1B54A32D192ED03L
                + index * 0xC2B2AE3D27D4EB4FL);
        return Shapes.scene(s, r, index % 2 == 1, split != Split.TRAIN);
    }

    public Split split() {
        return split;
    }

    public long seed() {
        return seed;
    }

    @Override
    public String caption(int index) {
        return scenes.get(index).caption();
    }

    public Shapes.Scene sceneAt(int index) {
        return scenes.get(index);
    }

    @Override
    public String name() {
        return "shapes-" + s + "/" + split + " (seed " + seed + ")";
    }

    @Override
    public int size() {
        return scenes.size();
    }

    @Override
    public int channels() {
        return 3;
    }

    @Override
    public int height() {
        return s;
    }

    @Override
    public int width() {
        return s;
    }

    @Override
    public int label(int index) {
        return -1;
    }

    @Override
    public boolean hasLabels() {
        return false;
    }

    @Override
    public List<String> classNames() {
        return List.of();
    }

    @Override
    public byte[] pixels() {
        return pixels;
    }
}
