package org.diffusion4j.cli.studio;

import static org.diffusion4j.cli.studio.StudioClient.last;
import static org.diffusion4j.cli.studio.StudioClient.names;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.diffusion4j.cli.QualityFixtures;
import org.diffusion4j.io.PngText;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The studio's API against the real server on an ephemeral loopback port, over real HTTP: a tiny random
 * class model (8x8, T = 1000), a tiny unconditional one and the diffusers-made text fixture.
 */
class StudioServerTest {

    @TempDir
    static Path dir;

    static ServedModels models;

    /** A job that takes many seconds: 16 images one at a time, 1000 ddpm steps each. */
    static final String LONG_JOB = "{\"model\": \"tiny-class\", \"sampler\": \"ddpm\", \"steps\": 1000, \"n\": 16, \"batch\": 1}";

    /** A job that takes well under a second. */
    static final String SHORT_JOB = "{\"model\": \"tiny-class\", \"steps\": 4, \"n\": 2, \"class\": \"bag\", \"seed\": 7}";

    StudioServer server;
    StudioClient client;

    @BeforeAll
    static void models() throws IOException {
        models = ServedModels.load(List.of(tinyModels(dir), textModel()));
    }

    /** A folder holding tiny-class (8x8, classes shirt/bag/shoe + null) and tiny-uncond (28x28). */
    static Path tinyModels(Path dir) throws IOException {
        Path models = dir.resolve("models");
        QualityFixtures.tinyConditionalModel(models, "tiny-class", 8, List.of("shirt", "bag", "shoe"), 4, 1000);
        QualityFixtures.tinyModel(models, "tiny-uncond", 50);
        return models;
    }

    /** The StableDiffusionPipeline folder made by diffusers (tiny random CLIP, cross-attention U-Net and VAE). */
    static Path textModel() {
        String root = System.getProperty("diffusion4j.root", Path.of("").toAbsolutePath().getParent().toString());
        return Path.of(root, "diffusion4j-core/src/test/resources/fixtures/diffusers-t2i");
    }

    @AfterAll
    static void closeModels() {
        models.close();
    }

    void start(StudioConfig config) throws IOException {
        server = StudioServer.start(config.withAddress("127.0.0.1", 0), models, "test", System.err);
        client = new StudioClient(server);
    }

    /**
     * Quick heartbeats; a disconnected job survives 10 s, so that a test that reads a stream only up to
     * an event (and closes it) does not lose the job meanwhile.
     */
    static StudioConfig fast() {
        return StudioConfig.defaults().withTimings(100, 10_000, 60_000);
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void listsTheServedModelsTheSamplersAndTheLimits() throws Exception {
        start(fast());
        HttpResponse<String> r = client.get("/api/models");
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
        JsonObject body = StudioClient.json(r);
        List<JsonObject> ms = body.getAsJsonArray("models").asList().stream().map(e -> e.getAsJsonObject()).toList();
        assertEquals(List.of("tiny-class", "tiny-uncond", "diffusers-t2i"), ms.stream().map(m -> m.get("name").getAsString()).toList());
        assertEquals(List.of("class", "unconditional", "text"), ms.stream().map(m -> m.get("kind").getAsString()).toList());
        assertEquals("[\"shirt\",\"bag\",\"shoe\"]", ms.get(0).get("classes").toString());
        assertEquals(8, ms.get(0).get("size").getAsInt());
        assertEquals(2.0, ms.get(0).get("guidance").getAsDouble());
        assertTrue(ms.get(1).get("guidance").isJsonNull(), "an unconditional model takes no guidance");
        assertEquals(7.5, ms.get(2).get("guidance").getAsDouble());
        assertTrue(ms.get(2).get("latent").getAsBoolean(), "the text fixture samples VAE latents");
        assertEquals("ddim", ms.get(0).get("sampler").getAsString());
        assertEquals(50, ms.get(0).get("steps").getAsInt());
        assertTrue(body.getAsJsonArray("samplers").toString().contains("dpm-solver++"));
        assertEquals(16, body.getAsJsonObject("limits").get("n").getAsInt());
    }

    @Test
    void happyPathStreamsProgressAndServesImagesThatRememberTheirSettings() throws Exception {
        start(fast());
        String id = client.submit("{\"model\": \"tiny-class\", \"sampler\": \"ddim\", \"steps\": 40, \"n\": 2, \"class\": \"bag\","
                + " \"guidance\": 3, \"seed\": 5}");
        List<StudioClient.Event> events = client.events(id);
        List<String> names = names(events);
        assertEquals("done", names.get(names.size() - 1), names.toString());
        assertTrue(names.contains("started") && names.contains("step"), names.toString());
        List<StudioClient.Event> steps = events.stream().filter(e -> e.name().equals("step")).toList();
        assertEquals(40, last(steps).data().get("of").getAsInt());
        assertEquals(40, last(steps).data().get("step").getAsInt(), "the last step is always sent");
        assertEquals(1.0, last(steps).data().get("progress").getAsDouble());
        assertTrue(steps.stream().anyMatch(e -> e.data().has("preview")
                && e.data().get("preview").getAsString().startsWith("data:image/png;base64,")), "x0 previews");
        for (int i = 1; i < steps.size(); i++) {
            assertTrue(steps.get(i).data().get("progress").getAsDouble() > steps.get(i - 1).data().get("progress").getAsDouble());
        }
        JsonObject done = last(events).data();
        assertTrue(done.get("seconds").getAsDouble() > 0);
        assertEquals("1", done.getAsJsonObject("settings").get("class").getAsString());
        assertEquals("bag", done.getAsJsonObject("settings").get("class_name").getAsString());
        List<String> urls = done.getAsJsonArray("images").asList().stream().map(e -> e.getAsString()).toList();
        assertEquals(List.of("/api/images/" + id + "-0.png", "/api/images/" + id + "-1.png"), urls);

        HttpResponse<byte[]> png = client.bytes(urls.get(1));
        assertEquals(200, png.statusCode());
        assertEquals("image/png", png.headers().firstValue("Content-Type").orElse(""));
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(png.body()));
        assertEquals(8, image.getWidth());
        Map<String, String> text = PngText.read(png.body());
        assertTrue(text.get("parameters").contains("Steps: 40, Sampler: ddim, CFG scale: 3.0, Seed: 5, Image index: 1"),
                text.get("parameters"));
        assertTrue(text.get("parameters").startsWith("class: bag\n"), text.get("parameters"));
        assertTrue(text.get("diffusion4j").contains("\"class_name\":\"bag\"") && text.get("diffusion4j").contains("\"model\":\"tiny-class\""),
                text.get("diffusion4j"));

        // the same settings make the same image; another seed another
        String again = client.submit("{\"model\": \"tiny-class\", \"sampler\": \"ddim\", \"steps\": 40, \"n\": 2, \"class\": \"bag\","
                + " \"guidance\": 3, \"seed\": 5}");
        assertEquals("done", last(client.events(again)).name());
        assertArrayEquals(pixels(png.body()), pixels(client.bytes("/api/images/" + again + "-1.png").body()));
        String other = client.submit(SHORT_JOB);
        assertEquals("done", last(client.events(other)).name());
        assertFalse(java.util.Arrays.equals(pixels(png.body()), pixels(client.bytes("/api/images/" + other + "-1.png").body())));
    }

    @Test
    void aTextModelTakesAPromptAndAnUnconditionalModelTheDefaults() throws Exception {
        start(fast());
        String text = client.submit("{\"model\": \"diffusers-t2i\", \"prompt\": \"a red circle\", \"negative_prompt\": \"blue\","
                + " \"steps\": 3}");
        List<StudioClient.Event> events = client.events(text);
        assertEquals("done", last(events).name(), events.toString());
        Map<String, String> png = PngText.read(client.bytes("/api/images/" + text + "-0.png").body());
        assertTrue(png.get("parameters").startsWith("a red circle\nNegative prompt: blue\nSteps: 3, Sampler: ddim, CFG scale: 7.5"),
                png.get("parameters"));
        String uncond = client.submit("{\"model\": \"tiny-uncond\", \"steps\": 2}");
        JsonObject done = last(client.events(uncond)).data();
        assertEquals(1, done.getAsJsonArray("images").size(), "n defaults to 1");
        assertFalse(done.getAsJsonObject("settings").has("guidance"));
        assertEquals(0, done.getAsJsonObject("settings").get("seed").getAsLong(), "the CLI's default seed");
    }

    @Test
    void everyInvalidFieldIsRefusedWith400NamingIt() throws Exception {
        start(fast());
        Object[][] cases = {
            {"{\"model\": \"nope\"}", "model", "unknown model 'nope'"},
            {"{\"model\": \"../tiny-class\"}", "model", "the served models are tiny-class, tiny-uncond, diffusers-t2i"},
            {"{\"model\": \"/etc\"}", "model", "unknown model"},
            {"{\"model\": 3}", "model", "model must be a string"},
            {"{\"sampler\": \"plms\"}", "sampler", "unknown sampler 'plms'; use one of"},
            {"{\"steps\": 0}", "steps", "steps must be in [1, 1000], got 0"},
            {"{\"steps\": 1001}", "steps", "steps must be in [1, 1000], got 1001"},
            {"{\"steps\": \"ten\"}", "steps", "steps must be an integer"},
            {"{\"steps\": 2.5}", "steps", "steps must be an integer, got 2.5"},
            {"{\"n\": 0}", "n", "n must be in [1, 16], got 0"},
            {"{\"n\": 17}", "n", "n must be in [1, 16], got 17"},
            {"{\"batch\": 65}", "batch", "batch must be in [1, 64]"},
            {"{\"seed\": 1.5}", "seed", "seed must be an integer"},
            {"{\"seed\": 1e30}", "seed", "seed must be an integer"},
            {"{\"guidance\": -1}", "guidance", "guidance must be in [0, 100]"},
            {"{\"guidance\": \"high\"}", "guidance", "guidance must be a number"},
            {"{\"model\": \"tiny-uncond\", \"guidance\": 2}", "guidance", "guidance: the model is unconditional"},
            {"{\"class\": \"dragon\"}", "class", "class 'dragon' is not a class of this model; its classes are 0 shirt, 1 bag, 2 shoe"},
            {"{\"class\": 7}", "class", "class 7 is outside [0, 2]"},
            {"{\"class\": true}", "class", "class must be a class name, an id"},
            {"{\"model\": \"tiny-uncond\", \"class\": \"bag\"}", "class", "takes no class"},
            {"{\"prompt\": \"a cat\"}", "prompt", "model 'tiny-class' takes no prompt"},
            {"{\"negative_prompt\": \"a cat\"}", "negative_prompt", "takes no negative prompt"},
            {"{\"model\": \"diffusers-t2i\"}", "prompt", "is text-conditional; give a prompt"},
            {"{\"model\": \"diffusers-t2i\", \"prompt\": \"" + "x".repeat(501) + "\"}", "prompt", "prompt is 501 characters long; the cap is 500"},
            {"{\"model\": \"diffusers-t2i\", \"prompt\": \"a\", \"negative_prompt\": \"" + "x".repeat(501) + "\"}", "negative_prompt",
                "the cap is 500"},
            {"{\"model\": \"diffusers-t2i\", \"prompt\": \"a\", \"class\": \"1\"}", "class", "takes no class"},
            {"{\"stpes\": 20}", "stpes", "unknown field 'stpes'; the fields are"},
        };
        for (Object[] c : cases) {
            HttpResponse<String> r = client.post((String) c[0]);
            assertEquals(400, r.statusCode(), c[0] + " -> " + r.body());
            JsonObject body = StudioClient.json(r);
            assertEquals(c[1], body.has("field") ? body.get("field").getAsString() : null, c[0] + " -> " + r.body());
            assertTrue(body.get("error").getAsString().contains((String) c[2]), c[0] + " -> " + r.body());
            assertNoStackTrace(r.body());
        }
    }

    @Test
    void malformedAndOversizedBodiesAreRefused() throws Exception {
        start(fast());
        for (String body : new String[] {"not json", "[1, 2]", "{\"steps\": ", "{} {}", ""}) {
            HttpResponse<String> r = client.post(body);
            assertEquals(400, r.statusCode(), body + " -> " + r.body());
            assertTrue(StudioClient.json(r).get("error").getAsString().contains("JSON"), r.body());
        }
        HttpResponse<String> big = client.post("{\"prompt\": \"" + "x".repeat(20_000) + "\"}");
        assertEquals(413, big.statusCode(), big.body());
        assertTrue(big.body().contains("over the cap of 16384 bytes"), big.body());
        HttpResponse<String> form = client.http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(client.base + "/api/jobs"))
                .header("Content-Type", "text/plain").POST(java.net.http.HttpRequest.BodyPublishers.ofString("{}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(415, form.statusCode(), "a cross-site form post (text/plain) is refused");
    }

    @Test
    void onlyThePageTheApiAndServedImagesAreReachable() throws Exception {
        start(fast());
        HttpResponse<String> page = client.get("/");
        assertEquals(200, page.statusCode());
        assertTrue(page.body().contains("<title>diffusion4j studio</title>") && page.body().contains("/studio.js"));
        assertTrue(client.get("/studio.js").body().contains("EventSource"));
        assertTrue(client.get("/studio.css").headers().firstValue("Content-Type").orElse("").startsWith("text/css"));
        for (String path : new String[] {"/../pom.xml", "/%2e%2e/%2e%2e/etc/passwd", "/api/images/../../pom.xml",
            "/api/images/0123456789abcdef-0.png", "/api/images/x.png", "/StudioServer.class", "/api/jobs/0123456789abcdef/events",
            "/index.html/../studio.js.map"}) {
            HttpResponse<String> r = client.get(path);
            assertEquals(404, r.statusCode(), path + " -> " + r.body());
            assertNoStackTrace(r.body());
        }
        assertEquals(405, client.get("/api/jobs").statusCode());
        assertEquals(404, client.delete("0123456789abcdef").statusCode());
        assertTrue(rawRequest("GET /api/models HTTP/1.1\r\nHost: evil.example:" + server.port() + "\r\nConnection: close\r\n\r\n")
                .startsWith("HTTP/1.1 403"), "a loopback server answers only requests for a loopback host name");
        assertTrue(rawRequest("GET /api/models HTTP/1.1\r\nHost: localhost:" + server.port() + "\r\nConnection: close\r\n\r\n")
                .startsWith("HTTP/1.1 200"));
    }

    @Test
    void aFullQueueAnswers429() throws Exception {
        start(fast().withLimits(1, 16, 1000));
        String running = client.submit(LONG_JOB);
        client.events(running, e -> e.name().equals("step"));   // it runs
        String waiting = client.submit(LONG_JOB);
        HttpResponse<String> full = client.post(SHORT_JOB);
        assertEquals(429, full.statusCode(), full.body());
        assertTrue(StudioClient.json(full).get("error").getAsString().startsWith("the queue is full"), full.body());
        assertEquals(202, client.delete(waiting).statusCode());
        assertEquals("cancelled", last(client.events(waiting)).name());
        assertEquals(202, client.post(SHORT_JOB).statusCode(), "room again once a waiting job is cancelled");
        client.delete(running);
    }

    @Test
    void cancellingStopsARunningJobBetweenStepsAndFreesTheWorker() throws Exception {
        start(fast());
        String running = client.submit(LONG_JOB);
        String queued = client.submit(SHORT_JOB);
        List<StudioClient.Event> first = client.events(queued, e -> e.name().equals("queued"));
        assertEquals(1, last(first).data().get("position").getAsInt(), "the short job waits behind the long one");
        client.events(running, e -> e.name().equals("step"));
        long t0 = System.nanoTime();
        HttpResponse<String> r = client.delete(running);
        assertEquals(202, r.statusCode());
        List<StudioClient.Event> events = client.events(running);
        assertEquals("cancelled", last(events).name(), names(events).toString());
        assertEquals("cancelled by the client", last(events).data().get("reason").getAsString());
        assertTrue((System.nanoTime() - t0) / 1e9 < 10, "stopped between steps, long before its 16000 steps");
        assertEquals("done", last(client.events(queued)).name(), "the next job runs");
        assertEquals("cancelled", StudioClient.json(client.delete(running)).get("state").getAsString(), "cancelling again is harmless");
    }

    @Test
    void aClientThatDisconnectsMidJobDoesNotLeakIt() throws Exception {
        start(StudioConfig.defaults().withTimings(100, 200, 60_000));
        String id = client.submit(LONG_JOB);
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.getOutputStream().write(("GET /api/jobs/" + id + "/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            InputStream in = s.getInputStream();
            StringBuilder seen = new StringBuilder();
            while (!seen.toString().contains("event: step")) {
                int c = in.read();
                assertNotEquals(-1, c, seen.toString());
                seen.append((char) c);
            }
        }   // the client goes away mid-job
        long t0 = System.nanoTime();
        List<StudioClient.Event> events = client.events(client.submit(SHORT_JOB));
        assertEquals("done", last(events).name(), "the worker is free again: the abandoned job was cancelled");
        assertTrue((System.nanoTime() - t0) / 1e9 < 15);
        List<StudioClient.Event> abandoned = client.events(id);
        assertEquals("cancelled", last(abandoned).name());
        assertEquals("cancelled: the client disconnected", last(abandoned).data().get("reason").getAsString());
    }

    @Test
    void aJobWhoseEventsNobodyOpensIsCancelled() throws Exception {
        start(StudioConfig.defaults().withTimings(100, 200, 300));
        String id = client.submit(LONG_JOB);
        Thread.sleep(1000);
        List<StudioClient.Event> events = client.events(id);
        assertEquals("cancelled", last(events).name(), names(events).toString());
        assertTrue(last(events).data().get("reason").getAsString().contains("nobody opened the job's events"));
    }

    static byte[] pixels(byte[] png) throws IOException {
        BufferedImage img = ImageIO.read(new ByteArrayInputStream(png));
        return ((java.awt.image.DataBufferByte) img.getRaster().getDataBuffer()).getData();
    }

    static void assertNoStackTrace(String body) {
        assertFalse(body.contains("\tat ") || body.contains("Exception") || body.contains("org.diffusion4j"), body);
    }

    private String rawRequest(String request) throws IOException {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
