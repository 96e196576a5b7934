package org.diffusion4j.cli.studio;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/** A real HTTP client of a running studio server (java.net.http), with a reader of its server-sent events. */
final class StudioClient {

    /** One server-sent event, with when it arrived. */
    record Event(String name, JsonObject data, long nanos) {}

    static final Duration TIMEOUT = Duration.ofSeconds(60);

    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    final String base;

    StudioClient(StudioServer server) {
        this.base = "http://127.0.0.1:" + server.port();
    }

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(TIMEOUT).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<byte[]> bytes(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(TIMEOUT).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    HttpResponse<String> post(String body) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(base + "/api/jobs")).timeout(TIMEOUT)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> delete(String id) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(base + "/api/jobs/" + id)).timeout(TIMEOUT).DELETE().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Submits a job and returns its id (the answer must be 202). */
    String submit(String body) throws IOException, InterruptedException {
        HttpResponse<String> r = post(body);
        assertEquals(202, r.statusCode(), r.body());
        return json(r).get("id").getAsString();
    }

    static JsonObject json(HttpResponse<String> r) {
        return JsonParser.parseString(r.body()).getAsJsonObject();
    }

    /** The events of job {@code id} until the stream ends. */
    List<Event> events(String id) throws IOException, InterruptedException {
        return events(id, e -> false);
    }

    /** The events of job {@code id} until the stream ends or {@code stop} accepts one (which is included). */
    List<Event> events(String id, Predicate<Event> stop) throws IOException, InterruptedException {
        HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(URI.create(base + "/api/jobs/" + id + "/events"))
                .timeout(TIMEOUT).GET().build(), HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, r.statusCode());
        List<Event> events = new ArrayList<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            String name = null;
            String line;
            while ((line = in.readLine()) != null) {
                if (line.startsWith("event: ")) {
                    name = line.substring(7);
                } else if (line.startsWith("data: ")) {
                    Event e = new Event(name, JsonParser.parseString(line.substring(6)).getAsJsonObject(), System.nanoTime());
                    events.add(e);
                    if (stop.test(e)) {
                        break;
                    }
                }
            }
        }
        return events;
    }

    static List<String> names(List<Event> events) {
        return events.stream().map(Event::name).toList();
    }

    static Event last(List<Event> events) {
        return events.get(events.size() - 1);
    }
}
