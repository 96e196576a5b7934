package org.diffusion4j.data;

import static org.diffusion4j.data.IdxBytes.gzip;
import static org.diffusion4j.data.IdxBytes.ramp;
import static org.diffusion4j.data.IdxBytes.ubyte;
import static org.diffusion4j.data.IdxBytes.write;
import static org.diffusion4j.data.IdxFileTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxDatasetTest {
    @TempDir
    Path dir;

    @Test
    void pairsImagesWithLabels() throws IOException {
        Path images = write(dir, "img.gz", gzip(ubyte(new int[] {4, 2, 3}, ramp(24))));
        Path labels = write(dir, "lab", ubyte(new int[] {4}, new byte[] {2, 0, 1, 2}));
        IdxDataset ds = IdxDataset.open(images, labels);
        assertEquals(4, ds.size());
        assertEquals(1, ds.channels());
        assertEquals(2, ds.height());
        assertEquals(3, ds.width());
        assertEquals(List.of("0", "1", "2"), ds.classNames());
        assertArrayEquals(new int[] {2, 0, 1, 2}, new int[] {ds.label(0), ds.label(1), ds.label(2), ds.label(3)});
        // image 2, row 1, column 0 is element 2*6 + 1*3 + 0 = 15 of the ramp
        assertEquals(15, ds.pixels()[2 * ds.imageBytes() + 1 * 3] & 0xff);
        assertSame(images, ds.imagesFile());
    }

    @Test
    void refusesCountMismatchNamingBothFiles() throws IOException {
        Path images = write(dir, "imgs-idx3-ubyte", ubyte(new int[] {4, 2, 2}, ramp(16)));
        Path labels = write(dir, "labels-idx1-ubyte", ubyte(new int[] {3}, new byte[3]));
        DatasetException e = assertThrows(DatasetException.class, () -> IdxDataset.open(images, labels));
        assertMessage(e, "labels-idx1-ubyte: declares 3 labels but ");
        assertMessage(e, "imgs-idx3-ubyte declares 4 images");
    }

    @Test
    void refusesLabelsOutsideTheClasses() throws IOException {
        Path images = write(dir, "i", ubyte(new int[] {3, 1, 1}, ramp(3)));
        Path labels = write(dir, "l", ubyte(new int[] {3}, new byte[] {0, 10, 1}));
        assertMessage(assertThrows(DatasetException.class,
                () -> IdxDataset.open("fashion-mnist", images, labels, Datasets.FASHION_MNIST_CLASSES)),
                "l: label 1 is 10, outside 0..9 (10 classes of fashion-mnist)");
    }

    @Test
    void refusesWrongRanks() throws IOException {
        Path flat = write(dir, "flat", ubyte(new int[] {3, 4}, ramp(12)));
        Path labels = write(dir, "l", ubyte(new int[] {3}, new byte[3]));
        assertMessage(assertThrows(DatasetException.class, () -> IdxDataset.open(flat, labels)),
                "flat: an images file must have rank 3 (count x height x width), but the header declares 3x4");
        Path images = write(dir, "i", ubyte(new int[] {3, 1, 1}, ramp(3)));
        Path matrix = write(dir, "m", ubyte(new int[] {3, 1}, new byte[3]));
        assertMessage(assertThrows(DatasetException.class, () -> IdxDataset.open(images, matrix)),
                "m: a labels file must have rank 1");
    }

    @Test
    void missingDatasetSaysHowToInstallIt() {
        DatasetException e = assertThrows(DatasetException.class,
                () -> Datasets.open("Fashion_MNIST", Split.TRAIN, dir));
        assertMessage(e, dir.resolve("fashion-mnist/train-images-idx3-ubyte.gz") + " not found");
        assertMessage(e, "install it with: apt-get install -y dataset-fashion-mnist");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> Datasets.open("cifar", Split.TEST, dir)),
                "unknown data set 'cifar'; known: fashion-mnist, mnist");
    }

    @Test
    void registryReadsTheStandardLayout() throws IOException {
        Path root = Files.createDirectories(dir.resolve("mnist")).getParent();
        write(root.resolve("mnist"), "t10k-images-idx3-ubyte.gz", gzip(ubyte(new int[] {2, 2, 2}, ramp(8))));
        write(root.resolve("mnist"), "t10k-labels-idx1-ubyte.gz", gzip(ubyte(new int[] {2}, new byte[] {7, 9})));
        IdxDataset ds = Datasets.open("mnist", Split.parse("test"), root);
        assertEquals("mnist-test", ds.name());
        assertEquals(9, ds.label(1));
        assertEquals(Datasets.MNIST_CLASSES, ds.classNames());
        assertMessage(assertThrows(DatasetException.class, () -> Datasets.open("mnist", Split.TRAIN, root)),
                "no Debian package ships MNIST");
    }

    @Test
    void splitParsing() {
        assertEquals(Split.TRAIN, Split.parse(" Train "));
        assertEquals(Split.TEST, Split.parse("t10k"));
        assertMessage(assertThrows(IllegalArgumentException.class, () -> Split.parse("val")), "use train or test");
    }

    @Test
    void realFashionMnist() throws IOException {
        assumeTrue(Files.isRegularFile(Path.of("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"))
                        && Files.isRegularFile(Path.of("/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz")),
                "Fashion-MNIST not installed (apt-get install -y dataset-fashion-mnist); skipping");
        assertTrue(Datasets.isInstalled("fashion-mnist"));
        for (Split split : Split.values()) {
            IdxDataset ds = Datasets.open("fashion-mnist", split, Path.of("/usr/share/datasets"));
            int n = split == Split.TRAIN ? 60000 : 10000;
            assertEquals(n, ds.size());
            assertEquals(1, ds.channels());
            assertEquals(28, ds.height());
            assertEquals(28, ds.width());
            assertEquals(n * 28 * 28, ds.pixels().length);
            assertEquals("Ankle boot", ds.classNames().get(9));
            // Fashion-MNIST is exactly balanced: n/10 images of each of the 10 classes
            int[] perClass = new int[10];
            for (int i = 0; i < n; i++) {
                perClass[ds.label(i)]++;
            }
            for (int c = 0; c < 10; c++) {
                assertEquals(n / 10, perClass[c], "class " + c + " of " + split);
            }
            // real images: both black background and bright pixels occur, not a constant file
            int min = 255;
            int max = 0;
            for (byte b : ds.pixels()) {
                min = Math.min(min, b & 0xff);
                max = Math.max(max, b & 0xff);
            }
            assertEquals(0, min);
            assertEquals(255, max);
        }
        assertFalse(Datasets.classNames("fashion-mnist").isEmpty());
    }
}
