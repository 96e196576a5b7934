package org.diffusion4j.data;

import java.util.Arrays;
import java.util.List;

/**
 * The one in-memory {@link ImageDataset}: a uint8 NCHW array plus optional labels. The IDX and
 * image-folder readers produce subclasses of it; tests and synthetic sets build it directly.
 */
public class ArrayImageDataset implements ImageDataset {
    private final String name;
    private final int size;
    private final int channels;
    private final int height;
    private final int width;
    private final byte[] pixels;
    private final int[] labels;
    private final List<String> classNames;

    /**
     * @param pixels uint8 NCHW, length a multiple of {@code channels * height * width}; kept, not copied
     * @param labels one label per image in {@code [0, classNames.size())}, or {@code null} for none
     * @param classNames names indexed by label; must be empty iff {@code labels} is null
     * @throws IllegalArgumentException if the shapes or labels are inconsistent
     */
    public ArrayImageDataset(String name, int channels, int height, int width, byte[] pixels, int[] labels,
            List<String> classNames) {
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException(name + ": channels must be 1 or 3, got " + channels);
        }
        if (height <= 0 || width <= 0) {
            throw new IllegalArgumentException(name + ": image size must be positive, got " + height + "x" + width);
        }
        long imageBytes = (long) channels * height * width;
        if (pixels.length % imageBytes != 0) {
            throw new IllegalArgumentException(name + ": " + pixels.length + " pixel bytes is not a whole number of "
                    + channels + "x" + height + "x" + width + " images");
        }
        this.size = (int) (pixels.length / imageBytes);
        this.classNames = List.copyOf(classNames);
        if (labels == null) {
            if (!this.classNames.isEmpty()) {
                throw new IllegalArgumentException(name + ": class names given but no labels");
            }
        } else {
            if (labels.length != size) {
                throw new IllegalArgumentException(name + ": " + labels.length + " labels for " + size + " images");
            }
            if (this.classNames.isEmpty()) {
                throw new IllegalArgumentException(name + ": labels given but no class names");
            }
            for (int i = 0; i < size; i++) {
                if (labels[i] < 0 || labels[i] >= this.classNames.size()) {
                    throw new IllegalArgumentException(name + ": label of image " + i + " is " + labels[i]
                            + ", outside [0, " + this.classNames.size() + ")");
                }
            }
        }
        this.name = name;
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.pixels = pixels;
        this.labels = labels;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public int channels() {
        return channels;
    }

    @Override
    public int height() {
        return height;
    }

    @Override
    public int width() {
        return width;
    }

    @Override
    public int label(int index) {
        if (index < 0 || index >= size) {
            throw new IndexOutOfBoundsException(name + ": image " + index + " of " + size);
        }
        return labels == null ? -1 : labels[index];
    }

    @Override
    public boolean hasLabels() {
        return labels != null;
    }

    @Override
    public List<String> classNames() {
        return classNames;
    }

    @Override
    public byte[] pixels() {
        return pixels;
    }

    /** A copy of the first {@code n} images (all of them if {@code n >= size()}), e.g. for quick runs. */
    public ArrayImageDataset head(int n) {
        if (n < 1) {
            throw new IllegalArgumentException(name + ": head(" + n + "): n must be >= 1");
        }
        int keep = Math.min(n, size);
        byte[] px = Arrays.copyOf(pixels, keep * imageBytes());
        int[] lb = labels == null ? null : Arrays.copyOf(labels, keep);
        return new ArrayImageDataset(name, channels, height, width, px, lb, classNames);
    }

    @Override
    public String toString() {
        return String.format("%s [%d x %dx%dx%d uint8%s]", name, size, channels, height, width,
                labels == null ? "" : ", " + classNames.size() + " classes");
    }
}
