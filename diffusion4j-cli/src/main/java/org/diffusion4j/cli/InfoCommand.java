package org.diffusion4j.cli;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.diffusion4j.data.Datasets;
import org.diffusion4j.data.ImageDataset;
import org.diffusion4j.data.ImageFolderDataset;
import org.diffusion4j.data.Shapes;
import org.diffusion4j.data.ShapesDataset;
import org.diffusion4j.data.Split;
import org.diffusion4j.diffusers.ModelFolder;
import org.diffusion4j.diffusers.PipelineDefaults;
import org.diffusion4j.io.Npy;
import org.diffusion4j.io.SafeTensors;
import org.diffusion4j.pipeline.ModelClasses;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code diffusion4j info}: what a model folder, a data set or a tensor file holds. */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = {"Summarise a model folder, a data set or a tensor file.",
            "",
            "  diffusion4j info models/fashion-mnist-ddpm",
            "  diffusion4j info --data fashion-mnist",
            "  diffusion4j info --data shapes",
            "  diffusion4j info unet/diffusion_pytorch_model.safetensors",
            ""})
final class InfoCommand implements Callable<Integer> {

    static final class Target {
        @Parameters(paramLabel = "PATH", description = "A model folder, a unet folder, or a .safetensors or .npy file.")
        Path path;

        @Option(names = "--data", paramLabel = "NAME|DIR",
                description = "A named data set (${COMPLETION-CANDIDATES}) or an image folder.",
                completionCandidates = DatasetNames.class)
        String data;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Target target;

    @Option(names = "--channels", defaultValue = "3", paramLabel = "C",
            description = "Channels to read an image folder as: 1 or 3 (default: ${DEFAULT-VALUE}).")
    int channels;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        if (target.data != null) {
            dataInfo(out, target.data);
        } else {
            Path p = target.path;
            if (Files.isDirectory(p)) {
                modelInfo(out, p);
            } else if (!Files.exists(p)) {
                throw new NoSuchFileException(p.toString());
            } else if (p.toString().toLowerCase(Locale.ROOT).endsWith(".npy")) {
                npyInfo(out, p);
            } else {
                safetensorsInfo(out, p);
            }
        }
        out.flush();
        return 0;
    }

    // ------------------------------------------------------------------ model folder

    private void modelInfo(PrintWriter out, Path dir) throws IOException {
        Path unetDir = dir.resolve("unet");
        boolean bareUnet = !Files.isDirectory(unetDir) && Files.isRegularFile(dir.resolve("config.json"));
        if (bareUnet) {
            unetDir = dir;
        } else if (!Files.isRegularFile(dir.resolve("model_index.json")) && !Files.isDirectory(unetDir)) {
            throw new NoSuchFileException(dir.resolve("model_index.json").toString(), null,
                    "not a model folder (expected model_index.json and unet/, the diffusers layout; see 'diffusion4j info --help')");
        }
        out.println("model folder   " + dir.toAbsolutePath().normalize());
        if (!bareUnet) {
            Path index = dir.resolve("model_index.json");
            if (Files.isRegularFile(index)) {
                JsonObject o = Json.read(index);
                out.println("pipeline       " + Json.str(o, "_class_name", "?")
                        + (o.has("_diffusers_version") ? " (diffusers " + Json.str(o, "_diffusers_version", "") + ")" : ""));
                ModelFolder folder = new ModelFolder(dir);
                java.util.List<String> names = folder.readClassNames();
                if (!names.isEmpty()) {
                    out.printf("%-14s %d (id2label): %s%n", "classes", names.size(), ModelClasses.nameList(names));
                }
                Double w = PipelineDefaults.read(folder).guidanceScale();
                if (w != null) {
                    out.printf("%-14s %s when none is given (%s of model_index.json)%n", "guidance", w,
                            PipelineDefaults.field(PipelineDefaults.GUIDANCE_SCALE));
                }
            } else {
                out.println("pipeline       (no model_index.json)");
            }
        }
        unetInfo(out, unetDir);
        if (!bareUnet) {
            Path sched = dir.resolve("scheduler").resolve("scheduler_config.json");
            out.println();
            if (Files.isRegularFile(sched)) {
                JsonObject o = Json.read(sched);
                out.println("scheduler      " + Json.str(o, "_class_name", "?") + "  (" + dir.relativize(sched) + ")");
                for (Map.Entry<String, JsonElement> e : o.entrySet()) {
                    if (!e.getKey().startsWith("_")) {
                        out.printf("  %-26s %s%n", e.getKey(), Json.show(e.getValue()));
                    }
                }
            } else {
                out.println("scheduler      missing: " + sched + " (samplers fall back to DDPM defaults)");
            }
            trainingInfo(out, dir.resolve("training"));
        }
    }

    private void unetInfo(PrintWriter out, Path unetDir) throws IOException {
        Path config = unetDir.resolve("config.json");
        out.println();
        if (!Files.isRegularFile(config)) {
            out.println("unet           missing: " + config);
            return;
        }
        JsonObject c = Json.read(config);
        out.println("unet           " + Json.str(c, "_class_name", "UNet2DModel") + "  (" + config + ")");
        for (String key : List.of("sample_size", "in_channels", "out_channels", "block_out_channels",
                "layers_per_block", "down_block_types", "up_block_types", "attention_head_dim", "norm_num_groups",
                "num_class_embeds", "class_embed_type", "time_embedding_type", "dropout")) {
            if (c.has(key) && !c.get(key).isJsonNull()) {
                out.printf("  %-26s %s%n", key, Json.show(c.get(key)));
            }
        }
        Path weights = unetDir.resolve("diffusion_pytorch_model.safetensors");
        if (Files.isRegularFile(weights)) {
            SafeTensors st = SafeTensors.read(weights);
            long params = 0;
            for (String n : st.names()) {
                params += st.info(n).size();
            }
            out.printf("  %-26s %,d in %d tensors (%s, %s)%n", "parameters", params, st.names().size(),
                    weights.getFileName(), bytes(Files.size(weights)));
        } else {
            List<String> others = listNames(unetDir);
            out.printf("  %-26s missing: %s%s%n", "weights", weights,
                    others.stream().anyMatch(n -> n.endsWith(".bin")) ? " (found a .bin pickle; convert it to safetensors)" : "");
        }
    }

    /**
     * The training state, if any: checkpoints {@code training/step-N/} (sealed by a
     * {@code manifest.json}) and loose JSON files with a {@code step}.
     */
    private void trainingInfo(PrintWriter out, Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return;
        }
        out.println();
        List<Path> checkpoints = new ArrayList<>();
        List<Path> jsons = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path f : s.toList()) {
                String name = f.getFileName().toString();
                if (Files.isDirectory(f) && name.matches("step-\\d{1,18}")) {
                    checkpoints.add(f);
                } else if (name.endsWith(".json") && Files.isRegularFile(f)) {
                    jsons.add(f);
                }
            }
        }
        checkpoints.sort((x, y) -> Long.compare(stepOf(y), stepOf(x)));
        if (checkpoints.isEmpty()) {
            out.println("training       " + dir + " (no checkpoint)");
        } else {
            Path latest = checkpoints.get(0);
            boolean sealed = Files.isRegularFile(latest.resolve("manifest.json"));
            out.printf("training       step %,d (latest of %d checkpoint%s: %s%s)%n", stepOf(latest), checkpoints.size(),
                    checkpoints.size() == 1 ? "" : "s", dir.getParent().relativize(latest),
                    sealed ? "" : ", no manifest.json: incomplete");
        }
        jsons.sort(null);
        for (Path f : jsons) {
            JsonObject o = Json.read(f);
            for (String key : List.of("step", "global_step", "epoch")) {
                if (o.has(key)) {
                    out.printf("  %-26s %s  (%s)%n", key, Json.show(o.get(key)), f.getFileName());
                }
            }
        }
    }

    private static long stepOf(Path checkpoint) {
        return Long.parseLong(checkpoint.getFileName().toString().substring("step-".length()));
    }

    // ------------------------------------------------------------------ data sets

    private void dataInfo(PrintWriter out, String name) throws IOException {
        Path folder = Path.of(name);
        if (Files.isDirectory(folder)) {
            ImageFolderDataset d = ImageFolderDataset.open(folder, channels);
            out.println("data set       " + folder.toAbsolutePath().normalize() + " (image folder)");
            describe(out, "images", d);
            return;
        }
        if (name.equals("shapes")) {
            shapesInfo(out);
            return;
        }
        List<String> classes = Datasets.classNames(name);
        out.println("data set       " + name + "  (" + Datasets.root().resolve(name) + ")");
        for (Split split : Split.values()) {
            describe(out, split.toString(), Datasets.open(name, split));
        }
        out.printf("%-14s %d: %s%n", "classes", classes.size(), String.join(", ", classes));
    }

    /** The generated captioned data set: its conventions and what the first 1,000 images of each split hold. */
    private static void shapesInfo(PrintWriter out) {
        int n = 1000;
        out.println("data set       shapes (generated from seed, split and index; SHAPES.md): RGB on black, "
                + "S = 32 by default (--size in export)");
        out.println("  objects      " + java.util.Arrays.stream(Shapes.Shape.values()).map(Shapes.Shape::word).toList() + " x "
                + java.util.Arrays.stream(Shapes.Colour.values()).map(Shapes.Colour::word).toList() + " x small (8 px) | large (14 px)");
        out.println("  held out     " + new java.util.TreeSet<>(Shapes.HELD_OUT) + " (never in train)");
        for (Split split : Split.values()) {
            ShapesDataset d = ShapesDataset.generate(ShapesDataset.DEFAULT_SIZE, split, 0, n);
            java.util.Map<String, Integer> relations = new java.util.TreeMap<>();
            int two = 0;
            int held = 0;
            for (int i = 0; i < n; i++) {
                Shapes.Scene s = d.sceneAt(i);
                if (s.relation() != null) {
                    two++;
                    relations.merge(s.relation().words(), 1, Integer::sum);
                }
                if (s.items().stream().anyMatch(it -> Shapes.HELD_OUT.contains(it.pair()))) {
                    held++;
                }
            }
            out.printf("  %-12s first %,d images: %d one-object, %d two-object %s; %d with a held-out pair; e.g. \"%s\", \"%s\"%n",
                    split == Split.TRAIN ? "train" : "test", n, n - two, two, relations, held, d.caption(0), d.caption(1));
        }
        out.println("  prompts      " + Shapes.evaluationPrompts(0).size() + " one-object evaluation captions (6 held out)");
    }

    private static void describe(PrintWriter out, String split, ImageDataset d) {
        out.printf("  %-12s %,d images, %dx%d, %d channel%s%s%n", split, d.size(), d.height(), d.width(), d.channels(),
                d.channels() == 1 ? " (gray)" : "s (RGB)",
                d.hasLabels() ? ", " + d.numClasses() + " classes" : ", unlabelled");
        if (d.hasLabels()) {
            int[] counts = new int[d.numClasses()];
            for (int i = 0; i < d.size(); i++) {
                counts[d.label(i)]++;
            }
            List<String> parts = new ArrayList<>();
            for (int k = 0; k < counts.length; k++) {
                parts.add(d.classNames().get(k) + " " + counts[k]);
            }
            out.printf("  %-12s %s%n", "per class", String.join(", ", parts));
        }
    }

    // ------------------------------------------------------------------ tensor files

    private static void safetensorsInfo(PrintWriter out, Path file) throws IOException {
        SafeTensors st = SafeTensors.read(file);
        out.println("safetensors    " + file + "  (" + bytes(Files.size(file)) + ")");
        if (!st.metadata().isEmpty()) {
            out.println("metadata       " + st.metadata());
        }
        int width = Math.max(4, st.names().stream().mapToInt(String::length).max().orElse(4));
        out.printf("%-" + width + "s  %-5s  %-20s  %s%n", "name", "dtype", "shape", "elements");
        long total = 0;
        for (String n : st.names()) {
            SafeTensors.TensorInfo t = st.info(n);
            out.printf("%-" + width + "s  %-5s  %-20s  %,d%n", n, t.dtype(), java.util.Arrays.toString(t.shape()), t.size());
            total += t.size();
        }
        out.printf("%d tensors, %,d elements%n", st.names().size(), total);
    }

    private static void npyInfo(PrintWriter out, Path file) throws IOException {
        Npy a = Npy.read(file);
        out.println("npy            " + file + "  (" + bytes(Files.size(file)) + ")");
        out.printf("  %-12s %s%n  %-12s %s%n", "dtype", a.dtype(), "shape", java.util.Arrays.toString(a.shape()));
        if (a.size() > 0 && a.dtype() != org.diffusion4j.io.DType.I64) {
            double[] v = a.doubles();
            double min = Double.POSITIVE_INFINITY;
            double max = Double.NEGATIVE_INFINITY;
            double sum = 0;
            double sq = 0;
            for (double x : v) {
                min = Math.min(min, x);
                max = Math.max(max, x);
                sum += x;
                sq += x * x;
            }
            double mean = sum / v.length;
            out.printf("  %-12s min %.6g, max %.6g, mean %.6g, std %.6g%n", "values", min, max, mean,
                    Math.sqrt(Math.max(0, sq / v.length - mean * mean)));
        }
    }

    private static List<String> listNames(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        if (n < 1024 * 1024) {
            return String.format("%.1f KiB", n / 1024.0);
        }
        return String.format("%.1f MiB", n / (1024.0 * 1024));
    }
}
