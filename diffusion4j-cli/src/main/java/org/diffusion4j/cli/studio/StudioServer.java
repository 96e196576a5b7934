package org.diffusion4j.cli.studio;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.diffusion4j.sampling.Samplers;

/**
 * diffusion4j studio: the JDK's HTTP server with one static page and a JSON API over the served models.
 *
 * <pre>
 * GET    /                         the page (index.html, studio.js, studio.css from the jar)
 * GET    /api/models               the served models, the samplers and the server's limits
 * POST   /api/jobs                 a sampling request → 202 {"id"}; 400 naming the field; 429 when the queue is full
 * GET    /api/jobs/{id}/events     server-sent events: queued, started, step, done | error | cancelled
 * DELETE /api/jobs/{id}            cancels the job (between two steps when it is running)
 * GET    /api/images/{id}.png      a result, with its settings in PNG text chunks
 * </pre>
 *
 * Errors are {@code {"error": …, "field": …}} without stack traces. The server never opens a file
 * named by a request: models are looked up by name among those served, images by id in memory.
 */
public final class StudioServer implements AutoCloseable {

    private static final Pattern EVENTS = Pattern.compile("/api/jobs/([0-9a-f]{16})/events");
    private static final Pattern JOB = Pattern.compile("/api/jobs/([0-9a-f]{16})");
    private static final Pattern IMAGE = Pattern.compile("/api/images/([0-9a-f]{16}-[0-9]{1,3})\\.png");
    private static final Map<String, String> STATIC = Map.of("/", "index.html", "/index.html", "index.html",
            "/studio.js", "studio.js", "/studio.css", "studio.css");

    static {
        // small event writes go out at once instead of waiting for the client's delayed ACK (Nagle): time to
        // first event p50 105 ms -> 36 ms in StudioLoadTest's default run (4 x 2 jobs, shared 2-core machine).
        // The JDK reads the property once, when its first HTTP server starts.
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
    }

    private final StudioConfig config;
    private final ServedModels models;
    private final JobQueue queue;
    private final HttpServer http;
    private final ExecutorService threads;
    private final Semaphore streams;
    private final PrintStream log;
    private final boolean loopbackOnly;

    private StudioServer(StudioConfig config, ServedModels models, String version, PrintStream log) throws IOException {
        this.config = config;
        this.models = models;
        this.log = log;
        this.streams = new Semaphore(config.maxStreams());
        InetAddress address = InetAddress.getByName(config.host());
        this.loopbackOnly = address.isLoopbackAddress();
        this.http = HttpServer.create(new InetSocketAddress(address, config.port()), 64);
        this.queue = new JobQueue(config, new JobRunner(version, log));
        // event streams hold a thread each: room for all of them plus the short requests
        this.threads = Executors.newFixedThreadPool(config.maxStreams() + 8, r -> {
            Thread t = new Thread(r, "studio-http");
            t.setDaemon(true);
            return t;
        });
        http.setExecutor(threads);
        http.createContext("/", this::handle);
    }

    /** Binds {@link StudioConfig#host()}:{@link StudioConfig#port()} and starts serving {@code models}. */
    public static StudioServer start(StudioConfig config, ServedModels models, String version, PrintStream log) throws IOException {
        StudioServer s = new StudioServer(config, models, version, log);
        s.http.start();
        return s;
    }

    /** The port the server listens on (the chosen one when the config asked for 0). */
    public int port() {
        return http.getAddress().getPort();
    }

    /** http://host:port/ */
    public String url() {
        String host = http.getAddress().getAddress().getHostAddress();
        return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port() + "/";
    }

    private void handle(HttpExchange ex) throws IOException {
        try {
            route(ex);
        } catch (BadRequest e) {
            Http.error(ex, e.status(), e.field(), e.getMessage());
        } catch (IOException e) {
            // the client went away while we answered
        } catch (RuntimeException e) {
            log.println("diffusion4j studio: " + ex.getRequestMethod() + " " + ex.getRequestURI().getPath() + " failed: " + e);
            e.printStackTrace(log);
            try {
                Http.error(ex, 500, null, "internal error; the server log has the details");
            } catch (IOException | RuntimeException ignored) {
                // headers may already be sent
            }
        } finally {
            ex.close();
        }
    }

    private void route(HttpExchange ex) throws IOException {
        checkHost(ex);
        String method = ex.getRequestMethod().toUpperCase(Locale.ROOT);
        String path = ex.getRequestURI().getRawPath();
        Matcher m;
        if (path.equals("/api/models")) {
            only(method, "GET");
            Http.json(ex, 200, describe());
        } else if (path.equals("/api/jobs")) {
            only(method, "POST");
            Job job = queue.submit(JobSpec.parse(Http.readJsonObject(ex, config.maxBodyBytes()), models, config));
            JsonObject o = new JsonObject();
            o.addProperty("id", job.id);
            o.addProperty("events", "/api/jobs/" + job.id + "/events");
            Http.json(ex, 202, o);
        } else if ((m = EVENTS.matcher(path)).matches()) {
            only(method, "GET");
            events(ex, job(m.group(1)));
        } else if ((m = JOB.matcher(path)).matches()) {
            only(method, "DELETE");
            Job job = job(m.group(1));
            queue.cancel(job, "cancelled by the client");
            JsonObject o = new JsonObject();
            o.addProperty("id", job.id);
            o.addProperty("state", job.state().finished() ? job.state().name().toLowerCase(Locale.ROOT) : "cancelling");
            Http.json(ex, 202, o);
        } else if ((m = IMAGE.matcher(path)).matches()) {
            only(method, "GET", "HEAD");
            byte[] png = queue.image(m.group(1));
            if (png == null) {
                throw new BadRequest(404, null, "no image " + m.group(1) + " (images of older jobs are forgotten)");
            }
            ex.getResponseHeaders().set("Content-Disposition", "inline; filename=\"diffusion4j-" + m.group(1) + ".png\"");
            Http.send(ex, 200, "image/png", png);
        } else if (STATIC.containsKey(path)) {
            only(method, "GET", "HEAD");
            page(ex, STATIC.get(path));
        } else {
            throw new BadRequest(404, null, "not found: " + path);
        }
    }

    /**
     * When bound to loopback, only requests addressed to a loopback name are served: a page on another
     * site cannot reach the server through a DNS name that resolves to 127.0.0.1 (DNS rebinding).
     */
    private void checkHost(HttpExchange ex) {
        if (!loopbackOnly) {
            return;
        }
        String host = ex.getRequestHeaders().getFirst("Host");
        String name = host == null ? "" : host.replaceFirst(":\\d+$", "").toLowerCase(Locale.ROOT);
        if (!(name.equals("localhost") || name.equals("127.0.0.1") || name.equals("[::1]"))) {
            throw new BadRequest(403, null, "this server answers only requests to localhost or 127.0.0.1");
        }
    }

    private static void only(String method, String... allowed) {
        for (String a : allowed) {
            if (a.equals(method)) {
                return;
            }
        }
        throw new BadRequest(405, null, method + " is not allowed here; use " + String.join(" or ", allowed));
    }

    private Job job(String id) {
        Job job = queue.get(id);
        if (job == null) {
            throw new BadRequest(404, null, "no job " + id + " (finished jobs are forgotten after a while)");
        }
        return job;
    }

    private void events(HttpExchange ex, Job job) throws IOException {
        if (!streams.tryAcquire()) {
            throw new BadRequest(503, null, "too many event streams are open (" + config.maxStreams() + "); close one and retry");
        }
        job.subscribe();
        try {
            EventStream.serve(ex, job, config.heartbeatMillis());
        } finally {
            queue.streamClosed(job);
            streams.release();
        }
    }

    private JsonObject describe() {
        JsonObject o = new JsonObject();
        o.add("models", models.describe());
        JsonArray samplers = new JsonArray();
        Samplers.names().forEach(samplers::add);
        o.add("samplers", samplers);
        JsonObject limits = new JsonObject();
        limits.addProperty("n", config.maxImages());
        limits.addProperty("steps", config.maxSteps());
        limits.addProperty("prompt", config.maxPromptChars());
        limits.addProperty("queue", config.queue());
        o.add("limits", limits);
        return o;
    }

    private void page(HttpExchange ex, String name) throws IOException {
        try (InputStream in = StudioServer.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new BadRequest(404, null, "not found: " + name);
            }
            String type = name.endsWith(".html") ? "text/html; charset=utf-8"
                    : name.endsWith(".js") ? "text/javascript; charset=utf-8" : "text/css; charset=utf-8";
            ex.getResponseHeaders().set("Content-Security-Policy",
                    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'");
            Http.send(ex, 200, type, in.readAllBytes());
        }
    }

    /** Stops accepting requests, cancels the jobs and closes the event streams (the models stay open: the caller owns them). */
    @Override
    public void close() {
        queue.close();
        http.stop(0);
        threads.shutdownNow();
    }
}
