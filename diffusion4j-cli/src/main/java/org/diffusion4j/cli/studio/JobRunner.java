package org.diffusion4j.cli.studio;

import ai.djl.ndarray.NDArray;
import com.google.gson.JsonObject;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiConsumer;
import javax.imageio.ImageIO;
import org.diffusion4j.io.ImageGrid;
import org.diffusion4j.io.PngText;
import org.diffusion4j.pipeline.SampleListener;
import org.diffusion4j.pipeline.SampledImages;

/**
 * Runs one job on the worker thread: samples through the pipeline, reports every step (a small x₀
 * preview PNG every few steps), stops between steps when the job is cancelled, and stores each image
 * as a PNG whose text chunks hold the settings.
 */
final class JobRunner {

    /** About this many previews per batch. */
    static final int PREVIEWS_PER_BATCH = 20;

    private final String version;
    private final PrintStream log;

    JobRunner(String version, PrintStream log) {
        this.version = version;
        this.log = log;
    }

    /** Thrown from the listener to stop sampling between two steps. */
    private static final class Stop extends RuntimeException {
        Stop() {
            super(null, null, false, false);
        }
    }

    /** Runs {@code job} and hands each image's id and PNG bytes to {@code store}. */
    void run(Job job, BiConsumer<String, byte[]> store) {
        try {
            SampledImages out = job.spec.model().pipeline().sample(job.spec.request(), listener(job));
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < out.count(); i++) {
                String id = job.id + "-" + i;
                store.accept(id, PngText.encode(ImageGrid.image(out.values(), out.shape(), i), text(job, out, i)));
                ids.add(id);
            }
            job.done(ids);
        } catch (Stop e) {
            job.cancelled(job.cancelReason());
        } catch (IllegalArgumentException e) {
            job.failed(e.getMessage());
        } catch (IOException | RuntimeException | OutOfMemoryError e) {
            log.println("diffusion4j studio: job " + job.id + " failed: " + e);
            e.printStackTrace(log);
            job.failed("sampling failed (" + e.getClass().getSimpleName() + "); the server log has the details");
        }
    }

    private static SampleListener listener(Job job) {
        return new SampleListener() {
            @Override
            public void started(int images, int batches) {
                job.sampling(images, batches);
            }

            @Override
            public void step(int batch, int from, int to, int step, int total, NDArray xt, NDArray x0) {
                if (job.cancelRequested()) {
                    throw new Stop();
                }
                int every = Math.max(1, total / PREVIEWS_PER_BATCH);
                boolean show = step % every == every - 1 || step == total - 1;
                job.stepped(batch, step, total, show ? preview(x0 != null ? x0 : xt) : null);
            }
        };
    }

    /** The first image of the batch as a PNG data URI (gray, RGB, or the first three channels of a latent). */
    static String preview(NDArray images) {
        try (NDArray first = images.get(0)) {
            long[] s = first.getShape().getShape();
            int c = (int) s[0];
            int shown = c >= 3 ? 3 : 1;
            float[] v = first.toFloatArray();
            float[] values = java.util.Arrays.copyOf(v, (int) (shown * s[1] * s[2]));
            BufferedImage img = ImageGrid.image(values, new long[] {1, shown, s[1], s[2]}, 0);
            ByteArrayOutputStream png = new ByteArrayOutputStream();
            ImageIO.write(img, "png", png);
            return "data:image/png;base64," + Base64.getEncoder().encodeToString(png.toByteArray());
        } catch (IOException e) {
            return null;
        }
    }

    /** JSON text with every character outside printable ASCII escaped as \\uXXXX (tEXt chunks hold Latin-1). */
    static String ascii(String json) {
        StringBuilder b = new StringBuilder(json.length());
        for (char c : json.toCharArray()) {
            if (c < 0x20 || c > 0x7e) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    /** The PNG text of image i: A1111's {@code parameters} line, and the settings as JSON under {@code diffusion4j}. */
    private Map<String, String> text(Job job, SampledImages out, int i) {
        JsonObject s = job.spec.settings().deepCopy();
        s.remove("n");
        s.addProperty("index", i);
        if (out.condition().labels() != null) {
            long id = out.condition().labels()[i];
            s.addProperty("class", Long.toString(id));
            s.addProperty("class_name", job.spec.model().pipeline().classes().name(id));
        }
        StringBuilder p = new StringBuilder();
        if (s.has("prompt")) {
            p.append(s.get("prompt").getAsString()).append('\n');
            p.append("Negative prompt: ").append(s.get("negative_prompt").getAsString()).append('\n');
        } else if (s.has("class")) {
            p.append("class: ").append(s.get("class_name").getAsString()).append('\n');
        }
        p.append(String.format(Locale.ROOT, "Steps: %d, Sampler: %s, %sSeed: %d, Image index: %d, Size: %dx%d, Model: %s, Version: diffusion4j %s",
                s.get("steps").getAsInt(), s.get("sampler").getAsString(),
                s.has("guidance") ? "CFG scale: " + s.get("guidance").getAsDouble() + ", " : "", s.get("seed").getAsLong(), i,
                out.shape()[3], out.shape()[2], s.get("model").getAsString(), version));
        Map<String, String> text = new LinkedHashMap<>();
        text.put("parameters", p.toString());
        text.put("diffusion4j", ascii(s.toString()));
        text.put("Software", "diffusion4j " + version);
        return text;
    }
}
