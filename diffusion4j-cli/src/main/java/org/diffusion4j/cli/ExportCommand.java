package org.diffusion4j.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.diffusion4j.data.Shapes;
import org.diffusion4j.data.ShapesDataset;
import org.diffusion4j.data.Split;
import org.diffusion4j.io.AtomicFiles;
import org.diffusion4j.io.ImageGrid;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code diffusion4j export}: writes a generated data set as an image folder in diffusers' ImageFolder
 * convention — PNG files and {@code metadata.jsonl} ({@code file_name}, {@code text}, and the scene: objects with
 * shape, colour, size and box, and the relation) — so other tools (diffusers' training scripts, viewers) read it.
 */
@Command(name = "export", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Write a generated data set (shapes) as PNG files with metadata.jsonl.",
            "",
            "  diffusion4j export --data shapes --out shapes-train -n 1000",
            "  diffusion4j export --data shapes --split test --size 64 --out shapes-test -n 200",
            ""})
final class ExportCommand implements Callable<Integer> {

    @Option(names = "--data", required = true, paramLabel = "NAME", description = "The data set: shapes.")
    String data;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "The folder to write (created if missing).")
    Path out;

    @Option(names = {"-n", "--num-images"}, defaultValue = "1000", paramLabel = "N", description = "Images (default: ${DEFAULT-VALUE}).")
    int n;

    @Option(names = "--split", defaultValue = "train", paramLabel = "train|test",
            description = "train (without the held-out colour-shape pairs) or test (default: ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--size", defaultValue = "32", paramLabel = "S", description = "Canvas size in pixels (default: ${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Data seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (!data.equals("shapes")) {
            throw usage("--data " + data + ": export writes generated data sets; the one there is: shapes");
        }
        Split s = switch (split.toLowerCase(Locale.ROOT)) {
            case "train" -> Split.TRAIN;
            case "test" -> Split.TEST;
            default -> throw usage("--split must be train or test, got '" + split + "'");
        };
        ShapesDataset d;
        try {
            d = ShapesDataset.generate(size, s, seed, n);
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        Files.createDirectories(out);
        StringBuilder metadata = new StringBuilder();
        int per = 3 * size * size;
        for (int i = 0; i < d.size(); i++) {
            String file = String.format(Locale.ROOT, "%06d.png", i);
            ImageGrid.writePng(out.resolve(file), rgb(d.pixels(), i * per, size));
            metadata.append(line(file, d.sceneAt(i))).append('\n');
        }
        AtomicFiles.writeString(out.resolve("metadata.jsonl"), metadata.toString());
        spec.commandLine().getOut().printf(Locale.ROOT, "wrote %d images of %s and %s%n", d.size(), d.name(),
                out.resolve("metadata.jsonl"));
        return 0;
    }

    private static BufferedImage rgb(byte[] planes, int offset, int s) {
        BufferedImage img = new BufferedImage(s, s, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < s; y++) {
            for (int x = 0; x < s; x++) {
                int i = offset + y * s + x;
                int r = planes[i] & 0xff;
                int g = planes[i + s * s] & 0xff;
                int b = planes[i + 2 * s * s] & 0xff;
                img.setRGB(x, y, r << 16 | g << 8 | b);
            }
        }
        return img;
    }

    /** One metadata.jsonl line: file_name, text and the scene. */
    static String line(String file, Shapes.Scene scene) {
        JsonObject o = new JsonObject();
        o.addProperty("file_name", file);
        o.addProperty("text", scene.caption());
        JsonArray objects = new JsonArray();
        for (Shapes.Item it : scene.items()) {
            JsonObject j = new JsonObject();
            j.addProperty("shape", it.shape().word());
            j.addProperty("colour", it.colour().word());
            j.addProperty("size", it.size().word());
            JsonArray box = new JsonArray();
            box.add(it.x0());
            box.add(it.y0());
            box.add(it.x1());
            box.add(it.y1());
            j.add("box", box);
            objects.add(j);
        }
        o.add("objects", objects);
        if (scene.relation() != null) {
            o.addProperty("relation", scene.relation().words());
        }
        return o.toString();
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
