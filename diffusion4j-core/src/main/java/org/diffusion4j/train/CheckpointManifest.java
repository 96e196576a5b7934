package org.diffusion4j.train;

import org.diffusion4j.io.CheckpointException;
import org.diffusion4j.io.AtomicFiles;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collections;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

/**
 * The {@code manifest.json} that seals a training checkpoint folder: format version, step, and the
 * SHA-256 and size of every other file in the folder. It is written last, after every file it lists
 * has been written and synced, so a folder without a manifest is an interrupted write, and a file
 * whose hash differs from the manifest is damaged. Either way the checkpoint is never loaded.
 *
 * <pre>{"format_version": 1, "step": 500,
 *  "files": {"model.safetensors": {"sha256": "…", "bytes": 1234}, …}}</pre>
 */
public record CheckpointManifest(int formatVersion, long step, Map<String, FileEntry> files) {

    /** The manifest's file name. */
    public static final String FILE_NAME = "manifest.json";
    /** The format version this code writes and reads. */
    public static final int FORMAT_VERSION = 1;

    /** One listed file: its SHA-256 (lower-case hex) and size in bytes. */
    public record FileEntry(String sha256, long bytes) {}

    public CheckpointManifest {
        files = Collections.unmodifiableMap(new TreeMap<>(files));
    }

    /** Hashes every regular file of {@code dir} except the manifest itself. */
    public static CheckpointManifest describe(Path dir, long step) throws IOException {
        Map<String, FileEntry> files = new TreeMap<>();
        try (var stream = Files.list(dir)) {
            for (Path p : (Iterable<Path>) stream::iterator) {
                String name = p.getFileName().toString();
                if (Files.isRegularFile(p) && !name.equals(FILE_NAME) && !name.startsWith(".")) {
                    files.put(name, new FileEntry(sha256(p), Files.size(p)));
                }
            }
        }
        return new CheckpointManifest(FORMAT_VERSION, step, files);
    }

    /** Writes {@code dir/manifest.json} atomically. */
    public void write(Path dir) throws IOException {
        JsonObject o = new JsonObject();
        o.addProperty("format_version", formatVersion);
        o.addProperty("step", step);
        JsonObject f = new JsonObject();
        for (Map.Entry<String, FileEntry> e : files.entrySet()) {
            JsonObject entry = new JsonObject();
            entry.addProperty("sha256", e.getValue().sha256());
            entry.addProperty("bytes", e.getValue().bytes());
            f.add(e.getKey(), entry);
        }
        o.add("files", f);
        AtomicFiles.writeString(dir.resolve(FILE_NAME), new GsonBuilder().setPrettyPrinting().create().toJson(o) + "\n");
    }

    /**
     * Reads {@code dir/manifest.json}.
     *
     * @throws CheckpointException when it is missing, is not valid JSON, or lacks a field
     */
    public static CheckpointManifest read(Path dir) throws IOException {
        Path file = dir.resolve(FILE_NAME);
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new CheckpointException(file + ": missing (the checkpoint was not completely written)");
        }
        try {
            JsonElement root = JsonParser.parseString(text);
            if (!root.isJsonObject()) {
                throw new CheckpointException(file + ": expected a JSON object");
            }
            JsonObject o = root.getAsJsonObject();
            for (String field : new String[] {"format_version", "step", "files"}) {
                if (!o.has(field)) {
                    throw new CheckpointException(file + ": field \"" + field + "\" is missing");
                }
            }
            Map<String, FileEntry> files = new TreeMap<>();
            for (Map.Entry<String, JsonElement> e : o.getAsJsonObject("files").entrySet()) {
                JsonObject entry = e.getValue().getAsJsonObject();
                files.put(e.getKey(), new FileEntry(entry.get("sha256").getAsString(), entry.get("bytes").getAsLong()));
            }
            return new CheckpointManifest(o.get("format_version").getAsInt(), o.get("step").getAsLong(), files);
        } catch (JsonParseException | IllegalStateException | NullPointerException | UnsupportedOperationException
                | NumberFormatException | ClassCastException e) {
            throw new CheckpointException(file + ": not a valid manifest (" + e.getMessage() + ")");
        }
    }

    /**
     * Checks {@code dir} against this manifest: format version, step, and each listed file present
     * with the listed size and SHA-256, and each file in {@code required} listed.
     *
     * @throws CheckpointException naming the first file that does not match
     */
    public void verify(Path dir, long expectedStep, Iterable<String> required) throws IOException {
        Path file = dir.resolve(FILE_NAME);
        if (formatVersion != FORMAT_VERSION) {
            throw new CheckpointException(file + ": format_version " + formatVersion + " is not supported (this build reads "
                    + FORMAT_VERSION + ")");
        }
        if (step != expectedStep) {
            throw new CheckpointException(file + ": step " + step + " does not match the folder name (step " + expectedStep + ")");
        }
        for (String r : required) {
            if (!files.containsKey(r)) {
                throw new CheckpointException(file + ": does not list the required file " + r);
            }
        }
        for (Map.Entry<String, FileEntry> e : files.entrySet()) {
            Path p = dir.resolve(e.getKey());
            if (!Files.isRegularFile(p)) {
                throw new CheckpointException(p + ": listed in the manifest but missing");
            }
            long size = Files.size(p);
            if (size != e.getValue().bytes()) {
                throw new CheckpointException(p + ": " + size + " bytes, the manifest says " + e.getValue().bytes());
            }
            String actual = sha256(p);
            if (!actual.equals(e.getValue().sha256())) {
                throw new CheckpointException(p + ": SHA-256 " + actual + " does not match the manifest ("
                        + e.getValue().sha256() + "): the file is damaged");
            }
        }
    }

    /** The SHA-256 of a file, lower-case hex. */
    public static String sha256(Path file) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK lacks SHA-256", e);
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }
}
