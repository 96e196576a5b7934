package org.diffusion4j.cli.studio;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The server-sent events of one job to one client ({@code GET /api/jobs/{id}/events}), as a chunked
 * response: {@code queued} (position), {@code started}, {@code step} (at most one every
 * {@value #MIN_STEP_MILLIS} ms, with the newest x₀ preview when there is one), then one of {@code done},
 * {@code error} or {@code cancelled}, and the stream ends. An idle stream sends a comment line every
 * heartbeat; a write that fails means the client has gone.
 */
final class EventStream {

    /** The shortest time between two step events of one stream. */
    static final long MIN_STEP_MILLIS = 50;

    private final Job job;
    private final OutputStream out;
    private final long heartbeatMillis;
    private int sentPosition = -1;
    private boolean sentStarted;
    private long sentSteps;
    private long sentPreview;
    private long lastStepNanos;

    private EventStream(Job job, OutputStream out, long heartbeatMillis) {
        this.job = job;
        this.out = out;
        this.heartbeatMillis = heartbeatMillis;
    }

    /** Streams {@code job}'s events until it finishes; returns normally also when the client goes away. */
    static void serve(HttpExchange ex, Job job, long heartbeatMillis) throws IOException {
        ex.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
        ex.getResponseHeaders().set("Cache-Control", "no-store");
        ex.getResponseHeaders().set("X-Accel-Buffering", "no");
        ex.sendResponseHeaders(200, 0);
        try (OutputStream out = ex.getResponseBody()) {
            new EventStream(job, out, heartbeatMillis).run();
        } catch (IOException e) {
            // the client closed the connection: nothing more to send
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() throws IOException, InterruptedException {
        write(": job " + job.id + "\nretry: 2000\n\n");
        long seen = -1;
        while (true) {
            Job.Snapshot s = job.await(seen, heartbeatMillis);
            if (s.version() == seen) {
                write(": keep-alive\n\n");
                continue;
            }
            if (s.state() == Job.State.QUEUED && s.position() != sentPosition) {
                JsonObject o = new JsonObject();
                o.addProperty("position", s.position());
                event("queued", o);
                sentPosition = s.position();
            }
            if (s.state() != Job.State.QUEUED && s.state() != Job.State.CANCELLED && !sentStarted && s.images() > 0) {
                JsonObject o = new JsonObject();
                o.addProperty("images", s.images());
                o.addProperty("batches", s.batches());
                event("started", o);
                sentStarted = true;
            }
            if (s.steps() > sentSteps) {
                long wait = MIN_STEP_MILLIS - (System.nanoTime() - lastStepNanos) / 1_000_000;
                if (wait > 0 && !s.state().finished()) {
                    Thread.sleep(wait);
                    continue;   // seen is not advanced: the next round takes the newest snapshot
                }
                step(s);
            }
            if (s.state().finished()) {
                finish(s);
                return;
            }
            seen = s.version();
        }
    }

    private void step(Job.Snapshot s) throws IOException {
        JsonObject o = new JsonObject();
        o.addProperty("step", s.step() + 1);
        o.addProperty("of", s.of());
        o.addProperty("batch", s.batch() + 1);
        o.addProperty("batches", s.batches());
        o.addProperty("progress", Math.round(s.progress() * 1e4) / 1e4);
        o.addProperty("elapsed", Math.round(s.elapsed() * 1e3) / 1e3);
        if (s.previewSeq() > sentPreview && s.preview() != null) {
            o.addProperty("preview", s.preview());
            sentPreview = s.previewSeq();
        }
        event("step", o);
        sentSteps = s.steps();
        lastStepNanos = System.nanoTime();
    }

    private void finish(Job.Snapshot s) throws IOException {
        JsonObject o = new JsonObject();
        switch (s.state()) {
            case DONE -> {
                JsonArray urls = new JsonArray();
                for (String id : s.imageIds()) {
                    urls.add("/api/images/" + id + ".png");
                }
                o.add("images", urls);
                o.addProperty("seconds", Math.round(s.seconds() * 1e3) / 1e3);
                o.add("settings", job.spec.settings());
                event("done", o);
            }
            case FAILED -> {
                o.addProperty("error", s.error());
                event("error", o);
            }
            default -> {
                o.addProperty("reason", s.error());
                event("cancelled", o);
            }
        }
    }

    private void event(String name, JsonObject data) throws IOException {
        write("event: " + name + "\ndata: " + data + "\n\n");
    }

    private void write(String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }
}
