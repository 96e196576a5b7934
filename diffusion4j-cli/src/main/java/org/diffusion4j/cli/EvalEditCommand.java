package org.diffusion4j.cli;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.diffusion4j.eval.report.EditReport.Row;
import org.diffusion4j.eval.report.EditReport;
import org.diffusion4j.eval.report.ShapesEditReport;
import org.diffusion4j.io.ImageGrid;
import org.diffusion4j.pipeline.DiffusionPipeline;
import org.diffusion4j.pipeline.EditEvaluation;
import org.diffusion4j.pipeline.Evaluation;
import org.diffusion4j.pipeline.ImageEdit;
import org.diffusion4j.pipeline.Masks;
import org.diffusion4j.pipeline.SampleRequest;
import org.diffusion4j.pipeline.ShapesEditEvaluation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code diffusion4j eval-edit}: inpainting (RePaint with and without resampling, mask-blend) of a region of Fashion-MNIST
 * test images and SDEdit of crude versions of them over a range of strengths, scored by {@link EditEvaluation}; for a
 * text model of the shapes data, replacing one object of two-object test images, scored by {@link ShapesEditEvaluation}.
 */
@Command(name = "eval-edit", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measure inpainting and SDEdit on Fashion-MNIST test images: FD, class accuracy, distance to the input.",
            "With a text model of the shapes data: replace one object of n two-object test images (its box is the mask, the",
            "prompt names another colour and shape) and read the results with the shapes analyzer.",
            "",
            "  diffusion4j eval-edit --model models/fashion-mnist-ddpm-uncond -n 100 --out docs/editing",
            "  diffusion4j eval-edit --model models/shapes-t2i -n 100 --out docs/editing/shapes",
            ""})
final class EvalEditCommand implements Callable<Integer> {

    @Option(names = "--model", paramLabel = "DIR", description = "A 28x28 gray model folder (default: <repo>/" + ModelLoading.DEFAULT_MODEL + ").")
    Path model;

    @Option(names = {"-n", "--num-images"}, defaultValue = "100", paramLabel = "N", description = "Test images edited per row (default: ${DEFAULT-VALUE}).")
    int n;

    @Option(names = "--regions", defaultValue = "centre,left", split = ",", paramLabel = "R",
            description = "Inpainted regions: centre, left, right, top, bottom (default: ${DEFAULT-VALUE}).")
    List<String> regions;

    @Option(names = "--strengths", defaultValue = "0.2,0.4,0.6,0.8,1.0", split = ",", paramLabel = "S",
            description = "SDEdit strengths (default: ${DEFAULT-VALUE}); none with --strengths=\"\".")
    List<Double> strengths;

    @Option(names = "--steps", defaultValue = "50", paramLabel = "N", description = "Steps of every method (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--jump-length", defaultValue = "10", paramLabel = "L", description = "RePaint's jump length (default: ${DEFAULT-VALUE}).")
    int jumpLength;

    @Option(names = "--jump-n-sample", defaultValue = "10", paramLabel = "R", description = "RePaint's resampling count (default: ${DEFAULT-VALUE}).")
    int jumpNSample;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--guidance", paramLabel = "W", description = "Text models: guidance scale (default: the model's, as sample's).")
    Double guidance;

    @Option(names = "--classifier", paramLabel = "DIR", description = "Feature network (default: <repo>/" + ModelLoading.DEFAULT_CLASSIFIER + ").")
    Path classifier;

    @Option(names = "--out", defaultValue = "edit-eval", paramLabel = "DIR",
            description = "Writes " + EditReport.MARKDOWN + ", " + EditReport.JSON + ", " + EditReport.CHART + " here (default: ${DEFAULT-VALUE}).")
    Path out;

    @Spec
    CommandSpec spec;

    /** The shapes evaluation's grid of originals, targets and results. */
    static final String SHAPES_GRID = "shapes-replace.png";

    @Override
    public Integer call() throws IOException {
        if (n < 2 || n > Evaluation.TEST_IMAGES) {
            throw usage("-n must be in [2, " + Evaluation.TEST_IMAGES + "], got " + n);
        }
        for (String r : regions) {
            try {
                Masks.named(28, 28, r);
            } catch (IllegalArgumentException e) {
                throw usage(e.getMessage().replace("--mask-region", "--regions"));
            }
        }
        PrintWriter o = spec.commandLine().getOut();
        Path dir = ModelLoading.modelDir(model);
        try (NDManager manager = NDManager.newBaseManager(); DiffusionPipeline pipe = DiffusionPipeline.load(dir, manager)) {
            if (pipe.isText()) {
                return shapes(o, dir, pipe);
            }
            if (guidance != null) {
                throw usage("--guidance is for text models; " + dir + " is not one");
            }
            Evaluation evaluation = Evaluation.load(ModelLoading.classifierDir(classifier), manager);
            EditEvaluation e;
            try {
                e = new EditEvaluation(pipe, evaluation, n);
            } catch (IllegalArgumentException ex) {
                throw usage(ex.getMessage());
            }
            SampleRequest base = SampleRequest.of(n, seed);
            if (pipe.classes().conditional()) {
                base = base.withClasses(e.labels());
            }
            StringBuilder md = new StringBuilder(String.format(Locale.ROOT, "%d Fashion-MNIST test images, model %s, %d steps, seed %d; "
                    + "FD with %s. Class accuracy: the original's class.%n%n", n, dir, steps, seed, evaluation.referenceDescription()));
            JsonObject json = new JsonObject();
            Row real = e.originals();
            json.add("real", EditReport.json(List.of(real)));
            for (String region : regions) {
                List<Row> rows = new ArrayList<>(List.of(real));
                rows.add(say(o, e.inpaint(String.format(Locale.ROOT, "RePaint, L = %d, r = %d (ddpm)", jumpLength, jumpNSample),
                        base.withSampler("ddpm", steps), region, ImageEdit.Method.REPAINT, jumpLength, jumpNSample)));
                rows.add(say(o, e.inpaint("RePaint without resampling, r = 1 (ddpm)", base.withSampler("ddpm", steps), region,
                        ImageEdit.Method.REPAINT, jumpLength, 1)));
                rows.add(say(o, e.inpaint("mask-blend (ddpm)", base.withSampler("ddpm", steps), region, ImageEdit.Method.BLEND, 0, 0)));
                rows.add(say(o, e.inpaint("mask-blend (ddim)", base.withSampler("ddim", steps), region, ImageEdit.Method.BLEND, 0, 0)));
                md.append(EditReport.table("Inpainting the " + region + (region.startsWith("cent") ? "" : " half"), rows));
                json.add("inpaint_" + region, EditReport.json(rows.subList(1, rows.size())));
            }
            List<Row> sweep = new ArrayList<>();
            if (!strengths.isEmpty()) {
                List<Row> rows = new ArrayList<>(List.of(e.originalsOfCrude(), say(o, e.crudeInputs())));
                for (double s : strengths) {
                    Row r = say(o, e.sdEdit(base.withSampler("ddim", steps), s));
                    sweep.add(r);
                    rows.add(r);
                }
                md.append(EditReport.table("SDEdit of crude inputs (ddim), the input is the crude image", rows));
                json.add("sdedit", EditReport.json(rows.subList(1, rows.size())));
            }
            EditReport.write(out, md.toString(), json, sweep, real);
            o.print(md);
            o.println("wrote " + out.resolve(EditReport.MARKDOWN) + ", " + EditReport.JSON + (sweep.isEmpty() ? "" : ", " + EditReport.CHART));
        }
        o.flush();
        return 0;
    }

    /** The shapes editing evaluation of a text model: RePaint with and without resampling and mask-blend, one table and one grid. */
    private int shapes(PrintWriter o, Path dir, DiffusionPipeline pipe) throws IOException {
        ShapesEditEvaluation e;
        try {
            e = new ShapesEditEvaluation(pipe, n, seed);
        } catch (IllegalArgumentException ex) {
            throw usage(ex.getMessage());
        }
        double w = guidance != null ? guidance : pipe.defaultGuidance();
        SampleRequest base = SampleRequest.of(n, seed).withGuidance(w).withSampler("ddpm", steps);
        List<ShapesEditReport.Row> rows = new ArrayList<>(List.of(e.unedited(), e.ceiling()));
        List<float[]> columns = new ArrayList<>(List.of(e.originals(), e.targets()));
        float[][] result = new float[1][];
        rows.add(say(o, e.inpaint(String.format(Locale.ROOT, "RePaint, L = %d, r = %d (ddpm)", jumpLength, jumpNSample), base,
                ImageEdit.Method.REPAINT, jumpLength, jumpNSample, result)));
        columns.add(result[0]);
        rows.add(say(o, e.inpaint("RePaint without resampling, r = 1 (ddpm)", base, ImageEdit.Method.REPAINT, jumpLength, 1, result)));
        columns.add(result[0]);
        rows.add(say(o, e.inpaint("mask-blend (ddpm)", base, ImageEdit.Method.BLEND, 0, 0, result)));
        columns.add(result[0]);
        String md = String.format(Locale.ROOT, "%d two-object shapes test images (seed %d), one object each replaced by another colour "
                + "and shape (its box is the mask; the prompt names the new pair, the relation stays); model %s, %d steps, "
                + "guidance %.1f; read by the shapes analyzer.%n%n", n, seed, dir, steps, w)
                + ShapesEditReport.table("Replacing one object", rows);
        JsonObject json = new JsonObject();
        json.add("shapes_replace_one", ShapesEditReport.json(rows));
        EditReport.write(out, md, json, List.of(), null);
        Path grid = out.resolve(SHAPES_GRID);
        ImageGrid.writePng(grid, ImageGrid.scale(ImageGrid.columns(columns, e.shape(), Math.min(n, 8), 1), 3));
        o.print(md);
        o.println("wrote " + out.resolve(EditReport.MARKDOWN) + ", " + EditReport.JSON + ", " + SHAPES_GRID
                + " (rows: images; columns: original, target drawn, RePaint, RePaint r = 1, mask-blend)");
        o.flush();
        return 0;
    }

    private static ShapesEditReport.Row say(PrintWriter o, ShapesEditReport.Row r) {
        o.printf(Locale.ROOT, "%s: both objects %.3f, with relation %.3f, still the original %.3f, kept max diff %d (%.0f s)%n", r.name(),
                r.objects(), r.correct(), r.unchanged(), r.keptDifference(), r.seconds());
        o.flush();
        return r;
    }

    private static Row say(PrintWriter o, Row r) {
        o.printf(Locale.ROOT, "%s: FD %.2f, accuracy %.3f, RMS to input %.3f (%.0f s)%n", r.name(), r.fd(), r.accuracy(), r.rms(), r.seconds());
        o.flush();
        return r;
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
