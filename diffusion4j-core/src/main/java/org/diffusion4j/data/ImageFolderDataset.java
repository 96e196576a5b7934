package org.diffusion4j.data;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Images (PNG or JPEG) from a folder, in one of two layouts:
 *
 * <ul>
 *   <li>images directly in the folder: an unlabeled data set;
 *   <li>no images in the folder but one sub-folder per class: labelled, class names are the
 *       sub-folder names sorted, label {@code i} is the {@code i}-th name (as torchvision's
 *       {@code ImageFolder}).
 * </ul>
 *
 * Files are taken in name order; names not ending in {@code .png}, {@code .jpg}, {@code .jpeg}
 * (any case) and hidden entries are ignored. Mixing both layouts, an empty class folder or a folder
 * without images is refused.
 *
 * <p>Every image is converted to the chosen channel count: gray sources keep their exact values
 * (replicated for RGB), colour sources go through sRGB and, for gray, ITU-R 601 luma with PIL's
 * rounding; alpha is dropped. Every image must have the size of the first image unless a resize is requested. The
 * declared size is read from each file's header and refused above {@code maxSide} before any pixel
 * is decoded.
 */
public final class ImageFolderDataset extends ArrayImageDataset {
    /** Default limit on an image's declared width and height. */
    public static final int DEFAULT_MAX_SIDE = 4096;

    private final Path folder;
    private final List<Path> files;

    private ImageFolderDataset(Path folder, int channels, int height, int width, byte[] pixels, int[] labels,
            List<String> classNames, List<Path> files) {
        super(folder.toString(), channels, height, width, pixels, labels, classNames);
        this.folder = folder;
        this.files = List.copyOf(files);
    }

    /** Reads {@code folder} as {@code channels} (1 or 3) images, with the default options otherwise. */
    public static ImageFolderDataset open(Path folder, int channels) throws IOException {
        return builder(folder).optChannels(channels).build();
    }

    public static Builder builder(Path folder) {
        return new Builder(folder);
    }

    /** The folder this was read from. */
    public Path folder() {
        return folder;
    }

    /** The source file of each image, in data set order. */
    public List<Path> files() {
        return files;
    }

    /** Options for reading an image folder. */
    public static final class Builder {
        private final Path folder;
        private int channels = 3;
        private int resizeHeight;
        private int resizeWidth;
        private int maxSide = DEFAULT_MAX_SIDE;

        private Builder(Path folder) {
            this.folder = folder;
        }

        /** 1 (gray) or 3 (RGB); default 3. */
        public Builder optChannels(int channels) {
            this.channels = channels;
            return this;
        }

        /** Resize (stretch) every image to {@code height x width}; default: no resize, sizes must match. */
        public Builder optResize(int height, int width) {
            this.resizeHeight = height;
            this.resizeWidth = width;
            return this;
        }

        /** Largest accepted declared width or height; default {@value #DEFAULT_MAX_SIDE}. */
        public Builder optMaxSide(int maxSide) {
            this.maxSide = maxSide;
            return this;
        }

        public ImageFolderDataset build() throws IOException {
            if (channels != 1 && channels != 3) {
                throw new IllegalArgumentException("channels must be 1 (gray) or 3 (RGB), got " + channels);
            }
            boolean resize = resizeHeight != 0 || resizeWidth != 0;
            if (resize && (resizeHeight <= 0 || resizeWidth <= 0 || resizeHeight > maxSide || resizeWidth > maxSide)) {
                throw new IllegalArgumentException("resize must be 1.." + maxSide + " on each side, got "
                        + resizeHeight + "x" + resizeWidth);
            }
            if (maxSide <= 0) {
                throw new IllegalArgumentException("maxSide must be > 0, got " + maxSide);
            }
            if (!Files.isDirectory(folder)) {
                throw new DatasetException(folder + ": not a folder");
            }
            List<Path> files = new ArrayList<>();
            List<Integer> labels = new ArrayList<>();
            List<String> classNames = new ArrayList<>();
            list(folder, files, labels, classNames);
            return read(files, labels, classNames, resize);
        }

        private void list(Path dir, List<Path> files, List<Integer> labels, List<String> classNames)
                throws IOException {
            List<Path> images = images(dir);
            List<Path> classDirs = new ArrayList<>();
            for (Path p : sorted(dir)) {
                if (Files.isDirectory(p) && !images(p).isEmpty()) {
                    classDirs.add(p);
                }
            }
            if (!images.isEmpty() && !classDirs.isEmpty()) {
                throw new DatasetException(dir + ": holds both images (" + images.get(0).getFileName()
                        + ") and class sub-folders with images (" + classDirs.get(0).getFileName()
                        + "); put every image in a class sub-folder, or none");
            }
            if (!images.isEmpty()) {
                files.addAll(images);
                return;
            }
            for (Path p : sorted(dir)) {
                if (Files.isDirectory(p) && !classDirs.contains(p)) {
                    throw new DatasetException(p + ": class folder holds no .png/.jpg/.jpeg image");
                }
            }
            if (classDirs.isEmpty()) {
                throw new DatasetException(dir + ": no .png/.jpg/.jpeg images, neither in the folder nor in "
                        + "class sub-folders");
            }
            for (Path classDir : classDirs) {
                for (Path image : images(classDir)) {
                    files.add(image);
                    labels.add(classNames.size());
                }
                classNames.add(classDir.getFileName().toString());
            }
        }

        private ImageFolderDataset read(List<Path> files, List<Integer> labels, List<String> classNames,
                boolean resize) throws IOException {
            int[] first = new int[2]; // width, height of the first image
            int[] size = new int[2];
            byte[] pixels = null;
            int outH = 0;
            int outW = 0;
            for (int n = 0; n < files.size(); n++) {
                Path file = files.get(n);
                final int index = n;
                byte[] planes = ImageFiles.decode(file, channels, maxSide, (w, h) -> {
                    if (index > 0 && !resize && (w != first[0] || h != first[1])) {
                        throw new DatasetException(file + ": is " + w + "x" + h + " (width x height) but "
                                + files.get(0).getFileName() + " is " + first[0] + "x" + first[1]
                                + "; all images must have one size (or request a resize)");
                    }
                }, size);
                if (n == 0) {
                    first[0] = size[0];
                    first[1] = size[1];
                    outH = resize ? resizeHeight : size[1];
                    outW = resize ? resizeWidth : size[0];
                    long total = (long) files.size() * channels * outH * outW;
                    if (total > IdxFile.MAX_ELEMENTS) {
                        throw new DatasetException(folder + ": " + files.size() + " images of " + channels + "x"
                                + outH + "x" + outW + " are " + total + " bytes, more than the in-memory limit of "
                                + IdxFile.MAX_ELEMENTS + "; resize them smaller or use fewer");
                    }
                    pixels = new byte[(int) total];
                }
                byte[] image = Resize.bilinear(planes, channels, size[1], size[0], outH, outW);
                System.arraycopy(image, 0, pixels, n * image.length, image.length);
            }
            int[] labelArray = classNames.isEmpty() ? null : labels.stream().mapToInt(Integer::intValue).toArray();
            return new ImageFolderDataset(folder, channels, outH, outW, pixels, labelArray, classNames, files);
        }
    }

    private static List<Path> images(Path dir) throws IOException {
        List<Path> images = new ArrayList<>();
        for (Path p : sorted(dir)) {
            String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
            if (Files.isRegularFile(p)
                    && (name.endsWith(".png") || name.endsWith(".jpg") || name.endsWith(".jpeg"))) {
                images.add(p);
            }
        }
        return images;
    }

    /** Non-hidden entries of {@code dir}, sorted by file name. */
    private static List<Path> sorted(Path dir) throws IOException {
        List<Path> entries = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
            for (Path p : stream) {
                if (!p.getFileName().toString().startsWith(".")) {
                    entries.add(p);
                }
            }
        }
        entries.sort((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()));
        return entries;
    }
}
