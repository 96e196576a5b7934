package org.diffusion4j.cli.studio;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.stream.JsonReader;
import com.sun.net.httpserver.HttpExchange;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;

/** Reading requests and writing responses of the JDK's HTTP server: JSON in, JSON out, bounded bodies. */
final class Http {

    private Http() {}

    /** Writes {@code body} as the whole response. */
    static void send(HttpExchange ex, int status, String contentType, byte[] body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", contentType);
        ex.getResponseHeaders().set("Cache-Control", "no-store");
        ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
        ex.getResponseHeaders().set("X-Frame-Options", "DENY");
        if (ex.getRequestMethod().equals("HEAD")) {
            ex.sendResponseHeaders(status, -1);
            return;
        }
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    static void json(HttpExchange ex, int status, JsonElement body) throws IOException {
        send(ex, status, "application/json; charset=utf-8", body.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** {@code {"error": message, "field": field}} (the field only when one is at fault). */
    static void error(HttpExchange ex, int status, String field, String message) throws IOException {
        JsonObject o = new JsonObject();
        o.addProperty("error", message);
        if (field != null) {
            o.addProperty("field", field);
        }
        json(ex, status, o);
    }

    /**
     * The request body as a JSON object: at most {@code maxBytes} bytes (413 beyond), sent as
     * {@code application/json} (415 otherwise, which also keeps other web sites' forms out), valid JSON.
     */
    static JsonObject readJsonObject(HttpExchange ex, int maxBytes) throws IOException {
        String type = ex.getRequestHeaders().getFirst("Content-Type");
        if (type == null || !type.toLowerCase(java.util.Locale.ROOT).startsWith("application/json")) {
            throw new BadRequest(415, null, "send the request as Content-Type: application/json");
        }
        String length = ex.getRequestHeaders().getFirst("Content-Length");
        if (length != null) {
            try {
                if (Long.parseLong(length.strip()) > maxBytes) {
                    throw tooLarge(maxBytes);
                }
            } catch (NumberFormatException e) {
                throw new BadRequest(400, null, "bad Content-Length");
            }
        }
        byte[] body = readAtMost(ex.getRequestBody(), maxBytes);
        try {
            JsonReader reader = new JsonReader(new StringReader(new String(body, StandardCharsets.UTF_8)));
            JsonElement e = JsonParser.parseReader(reader);
            if (reader.peek() != com.google.gson.stream.JsonToken.END_DOCUMENT) {
                throw new JsonParseException("text after the JSON value");
            }
            if (!e.isJsonObject()) {
                throw new BadRequest(null, "the body must be a JSON object such as {\"model\": \"…\", \"steps\": 20}");
            }
            return e.getAsJsonObject();
        } catch (JsonParseException | IllegalStateException | IOException e) {
            throw new BadRequest(null, "the body is not valid JSON");
        }
    }

    private static byte[] readAtMost(InputStream in, int maxBytes) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        int r;
        while ((r = in.read(buf)) >= 0) {
            out.write(buf, 0, r);
            if (out.size() > maxBytes) {
                throw tooLarge(maxBytes);
            }
        }
        return out.toByteArray();
    }

    private static BadRequest tooLarge(int maxBytes) {
        return new BadRequest(413, null, "the request body is over the cap of " + maxBytes + " bytes");
    }
}
