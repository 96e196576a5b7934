package org.diffusion4j.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Named data sets installed on the system, e.g. {@code Datasets.open("fashion-mnist", Split.TRAIN)}.
 *
 * <p>Files are looked up in {@code <root>/<name>/}, where root is {@link #DEFAULT_ROOT}
 * ({@code /usr/share/datasets}, where Debian's {@code dataset-*} packages install) unless the
 * system property {@value #ROOT_PROPERTY} names another folder. A missing data set is refused with
 * the command that installs it.
 */
public final class Datasets {
    /** Where Debian's {@code dataset-*} packages put their files. */
    public static final Path DEFAULT_ROOT = Path.of("/usr/share/datasets");
    /** System property overriding {@link #DEFAULT_ROOT}. */
    public static final String ROOT_PROPERTY = "diffusion4j.datasets.root";

    /** Fashion-MNIST class names, indexed by label (Xiao et al. 2017). */
    public static final List<String> FASHION_MNIST_CLASSES = List.of("T-shirt/top", "Trouser", "Pullover",
            "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");
    /** MNIST class names: the digits. */
    public static final List<String> MNIST_CLASSES = List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");

    private static final class Entry {
        final List<String> classNames;
        final String installHint;

        Entry(List<String> classNames, String installHint) {
            this.classNames = classNames;
            this.installHint = installHint;
        }
    }

    private static final Map<String, Entry> REGISTRY = Map.of(
            "fashion-mnist", new Entry(FASHION_MNIST_CLASSES, "install it with: apt-get install -y dataset-fashion-mnist"),
            "mnist", new Entry(MNIST_CLASSES, "no Debian package ships MNIST: copy train-images-idx3-ubyte.gz, "
                    + "train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz there"));

    private Datasets() {
    }

    /** The registered names, sorted. */
    public static List<String> names() {
        return REGISTRY.keySet().stream().sorted().toList();
    }

    /** The root folder in use: the system property {@value #ROOT_PROPERTY}, else {@link #DEFAULT_ROOT}. */
    public static Path root() {
        String p = System.getProperty(ROOT_PROPERTY);
        return p == null || p.isBlank() ? DEFAULT_ROOT : Path.of(p);
    }

    /** Opens a registered data set under {@link #root()}. */
    public static IdxDataset open(String name, Split split) throws IOException {
        return open(name, split, root());
    }

    /** Opens a registered data set from {@code <root>/<name>/}. */
    public static IdxDataset open(String name, Split split, Path root) throws IOException {
        String key = canonical(name);
        Entry e = entry(key);
        Path dir = root.resolve(key);
        Path images = dir.resolve(split.idxPrefix() + "-images-idx3-ubyte.gz");
        Path labels = dir.resolve(split.idxPrefix() + "-labels-idx1-ubyte.gz");
        for (Path p : List.of(images, labels)) {
            if (!Files.isRegularFile(p)) {
                throw new DatasetException(key + " (" + split + "): " + p + " not found; " + e.installHint);
            }
        }
        return IdxDataset.open(key + "-" + split, images, labels, e.classNames);
    }

    /** Whether both splits of a registered data set are present under {@link #root()}. */
    public static boolean isInstalled(String name) {
        String key = canonical(name);
        entry(key);
        Path dir = root().resolve(key);
        for (Split s : Split.values()) {
            if (!Files.isRegularFile(dir.resolve(s.idxPrefix() + "-images-idx3-ubyte.gz"))
                    || !Files.isRegularFile(dir.resolve(s.idxPrefix() + "-labels-idx1-ubyte.gz"))) {
                return false;
            }
        }
        return true;
    }

    /** Class names of a registered data set, indexed by label. */
    public static List<String> classNames(String name) {
        return entry(canonical(name)).classNames;
    }

    private static Entry entry(String key) {
        Entry e = REGISTRY.get(key);
        if (e == null) {
            throw new IllegalArgumentException("unknown data set '" + key + "'; known: " + String.join(", ", names()));
        }
        return e;
    }

    /** {@code Fashion_MNIST}, {@code fashionmnist} → {@code fashion-mnist}. */
    private static String canonical(String name) {
        String s = name.trim().toLowerCase(Locale.ROOT).replace('_', '-');
        return s.equals("fashionmnist") ? "fashion-mnist" : s;
    }
}
