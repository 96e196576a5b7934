package org.diffusion4j.data;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A captioned image folder in diffusers' ImageFolder convention: image files plus {@code metadata.jsonl}, one JSON
 * object per line with {@code file_name} (a path inside the folder) and {@code text} (the caption); other keys are
 * kept out of the way. Every image must have the size of the first. A malformed line, a missing or escaping file,
 * an empty caption or an unreadable image is refused with the line number.
 */
public final class CaptionedImageFolder extends ArrayImageDataset implements CaptionedImages {

    public static final String METADATA = "metadata.jsonl";
    /** A metadata file above this size is refused before reading. */
    static final long MAX_METADATA_BYTES = 256L << 20;

    private final List<String> captions;

    private CaptionedImageFolder(String name, int channels, int height, int width, byte[] pixels, List<String> captions) {
        super(name, channels, height, width, pixels, null, List.of());
        this.captions = List.copyOf(captions);
    }

    @Override
    public String caption(int index) {
        return captions.get(index);
    }

    /**
     * Reads the folder's {@code metadata.jsonl} and its images as {@code channels} channels (1 gray, 3 RGB).
     *
     * @throws DatasetException naming the file, the line and what is wrong
     */
    public static CaptionedImageFolder open(Path folder, int channels) throws IOException {
        Path meta = folder.resolve(METADATA);
        if (!Files.isRegularFile(meta)) {
            throw new DatasetException(folder + ": no " + METADATA + "; a captioned image folder lists its images as JSON "
                    + "lines {\"file_name\": \"0001.png\", \"text\": \"a caption\"}");
        }
        if (Files.size(meta) > MAX_METADATA_BYTES) {
            throw new DatasetException(meta + ": " + Files.size(meta) + " bytes, above the limit of " + MAX_METADATA_BYTES);
        }
        Path root = folder.toAbsolutePath().normalize();
        List<Path> files = new ArrayList<>();
        List<String> captions = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(meta, StandardCharsets.UTF_8)) {
            String line;
            int number = 0;
            while ((line = in.readLine()) != null) {
                number++;
                if (line.isBlank()) {
                    continue;
                }
                String where = meta + ", line " + number;
                JsonObject o;
                try {
                    JsonElement e = JsonParser.parseString(line);
                    if (!e.isJsonObject()) {
                        throw new DatasetException(where + ": expected a JSON object {\"file_name\": …, \"text\": …}");
                    }
                    o = e.getAsJsonObject();
                } catch (JsonParseException e) {
                    throw new DatasetException(where + ": not valid JSON (" + abbreviate(e.getMessage()) + ")");
                }
                String file = string(o, "file_name", where);
                String text = string(o, "text", where);
                if (text.isBlank()) {
                    throw new DatasetException(where + ": \"text\" is empty; every image needs a caption");
                }
                Path p = root.resolve(file).normalize();
                if (!p.startsWith(root)) {
                    throw new DatasetException(where + ": \"file_name\" " + file + " points outside the folder");
                }
                if (!Files.isRegularFile(p)) {
                    throw new DatasetException(where + ": \"file_name\" " + file + " does not exist in " + folder);
                }
                files.add(p);
                captions.add(text);
            }
        }
        if (files.isEmpty()) {
            throw new DatasetException(meta + ": no images listed");
        }
        int[] first = new int[2];
        int[] size = new int[2];
        byte[] pixels = null;
        for (int i = 0; i < files.size(); i++) {
            Path file = files.get(i);
            int index = i;
            byte[] planes = ImageFiles.decode(file, channels, ImageFiles.DEFAULT_MAX_SIDE, (w, h) -> {
                if (index > 0 && (w != first[0] || h != first[1])) {
                    throw new DatasetException(file + ": is " + w + "x" + h + " but " + files.get(0).getFileName() + " is "
                            + first[0] + "x" + first[1] + "; every image of a captioned folder must have one size");
                }
            }, size);
            if (i == 0) {
                first[0] = size[0];
                first[1] = size[1];
                long total = (long) files.size() * planes.length;
                if (total > IdxFile.MAX_ELEMENTS) {
                    throw new DatasetException(folder + ": " + files.size() + " images of " + planes.length + " bytes exceed the "
                            + "in-memory limit of " + IdxFile.MAX_ELEMENTS + " bytes; use fewer or smaller images");
                }
                pixels = new byte[(int) total];
            }
            System.arraycopy(planes, 0, pixels, i * planes.length, planes.length);
        }
        return new CaptionedImageFolder(folder.toString(), channels, first[1], first[0], pixels, captions);
    }

    private static String string(JsonObject o, String key, String where) throws DatasetException {
        JsonElement e = o.get(key);
        if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
            throw new DatasetException(where + ": \"" + key + "\" must be a string, got " + (e == null ? "nothing" : abbreviate(e.toString())));
        }
        return e.getAsString();
    }

    private static String abbreviate(String s) {
        return s == null ? "" : s.length() <= 120 ? s : s.substring(0, 120) + "…";
    }
}
