package org.diffusion4j.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Gray images from an IDX images file (rank 3: count &times; height &times; width, unsigned bytes)
 * paired with an IDX labels file (rank 1: count). The two counts must agree and every label must be
 * a valid class index; either violation is refused naming both files.
 */
public final class IdxDataset extends ArrayImageDataset {
    private final Path imagesFile;
    private final Path labelsFile;

    private IdxDataset(String name, IdxFile images, int[] labels, List<String> classNames, Path imagesFile,
            Path labelsFile) {
        super(name, 1, images.dim(1), images.dim(2), images.data(), labels, classNames);
        this.imagesFile = imagesFile;
        this.labelsFile = labelsFile;
    }

    /**
     * Reads images and labels; class names are {@code "0", "1", ...} up to the largest label.
     */
    public static IdxDataset open(Path images, Path labels) throws IOException {
        return open(images.getFileName().toString(), images, labels, null);
    }

    /**
     * Reads images and labels under the given data set name; every label must be below
     * {@code classNames.size()}. Pass {@code null} class names for {@code "0", "1", ...} up to the
     * largest label.
     */
    public static IdxDataset open(String name, Path images, Path labels, List<String> classNames) throws IOException {
        IdxFile imageFile = readImages(images);
        IdxFile labelFile = IdxFile.read(labels);
        if (labelFile.rank() != 1) {
            throw new DatasetException(labels + ": a labels file must have rank 1 (count), but the header declares "
                    + IdxFile.shapeString(labelFile.dims(), labelFile.rank()));
        }
        int count = imageFile.dim(0);
        if (labelFile.dim(0) != count) {
            throw new DatasetException(labels + ": declares " + labelFile.dim(0) + " labels but " + images
                    + " declares " + count + " images; the two files must have the same count");
        }
        byte[] raw = labelFile.data();
        int[] labelValues = new int[count];
        int max = 0;
        for (int i = 0; i < count; i++) {
            labelValues[i] = raw[i] & 0xff;
            max = Math.max(max, labelValues[i]);
        }
        List<String> names = classNames != null ? classNames : numberedClasses(max + 1);
        for (int i = 0; i < count; i++) {
            if (labelValues[i] >= names.size()) {
                throw new DatasetException(labels + ": label " + i + " is " + labelValues[i] + ", outside 0.."
                        + (names.size() - 1) + " (" + names.size() + " classes of " + name + ")");
            }
        }
        return new IdxDataset(name, imageFile, labelValues, names, images, labels);
    }

    /** Reads images alone (no labels). */
    public static IdxDataset openUnlabeled(Path images) throws IOException {
        IdxFile imageFile = readImages(images);
        return new IdxDataset(images.getFileName().toString(), imageFile, null, List.of(), images, null);
    }

    private static IdxFile readImages(Path images) throws IOException {
        IdxFile f = IdxFile.read(images);
        if (f.rank() != 3) {
            throw new DatasetException(images + ": an images file must have rank 3 (count x height x width), but "
                    + "the header declares " + IdxFile.shapeString(f.dims(), f.rank()));
        }
        return f;
    }

    private static List<String> numberedClasses(int n) {
        List<String> names = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            names.add(Integer.toString(i));
        }
        return names;
    }

    public Path imagesFile() {
        return imagesFile;
    }

    /** The labels file, or {@code null} for an unlabeled set. */
    public Path labelsFile() {
        return labelsFile;
    }
}
