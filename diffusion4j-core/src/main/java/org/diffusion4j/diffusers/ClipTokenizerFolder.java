package org.diffusion4j.diffusers;

import com.google.gson.JsonElement;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.diffusion4j.io.JsonFields;
import org.diffusion4j.nn.ClipTokenizer;

/**
 * A transformers CLIPTokenizer folder ({@code tokenizer/} of a StableDiffusionPipeline): {@code vocab.json}
 * (token → id), {@code merges.txt} (a {@code #version} header line, then one merge per line, in rank
 * order) and {@code tokenizer_config.json} ({@code model_max_length}, {@code pad_token}). A real CLIP
 * vocabulary (49,408 tokens, 48,894 merges) reads the same way.
 */
public final class ClipTokenizerFolder {

    public static final String VOCAB = "vocab.json";
    public static final String MERGES = "merges.txt";
    public static final String CONFIG = "tokenizer_config.json";
    /** transformers reads at most this many merges (49152 − 256 − 2), CLIP's full table. */
    static final int MAX_MERGES = 49152 - 256 - 2;
    /** Files above this size are refused before reading (a real CLIP vocab.json is 0.9 MB). */
    static final long MAX_FILE_BYTES = 64L << 20;

    private ClipTokenizerFolder() {}

    /**
     * Reads the tokenizer in {@code dir}.
     *
     * @throws IOException naming the file and what is wrong with it
     */
    public static ClipTokenizer load(Path dir) throws IOException {
        Map<String, Integer> vocab = readVocab(dir.resolve(VOCAB));
        List<String[]> merges = readMerges(dir.resolve(MERGES));
        Path configFile = dir.resolve(CONFIG);
        int maxLength = 77;
        String pad = ClipTokenizer.END;
        if (Files.isRegularFile(configFile)) {
            JsonFields f = JsonFields.parse(read(configFile), configFile.toString());
            maxLength = f.integer("model_max_length", 77);
            pad = f.isNull("pad_token") ? pad : padToken(f);
        }
        try {
            return new ClipTokenizer(vocab, merges, maxLength, pad);
        } catch (IllegalArgumentException e) {
            throw new IOException(dir + ": not a usable CLIPTokenizer folder: " + e.getMessage(), e);
        }
    }

    /** Writes {@code vocab.json}, {@code merges.txt} and {@code tokenizer_config.json} as transformers' save_pretrained. */
    public static void save(Path dir, Map<String, Integer> vocab, List<String[]> merges, int maxLength) throws IOException {
        Files.createDirectories(dir);
        StringBuilder v = new StringBuilder("{");
        boolean first = true;
        for (Map.Entry<String, Integer> e : vocab.entrySet()) {
            v.append(first ? "" : ", ").append(new com.google.gson.JsonPrimitive(e.getKey())).append(": ").append(e.getValue());
            first = false;
        }
        org.diffusion4j.io.AtomicFiles.writeString(dir.resolve(VOCAB), v.append("}\n").toString());
        StringBuilder m = new StringBuilder("#version: 0.2\n");
        for (String[] pair : merges) {
            m.append(pair[0]).append(' ').append(pair[1]).append('\n');
        }
        org.diffusion4j.io.AtomicFiles.writeString(dir.resolve(MERGES), m.toString());
        org.diffusion4j.io.AtomicFiles.writeString(dir.resolve(CONFIG), "{\n  \"bos_token\": \"" + ClipTokenizer.START
                + "\",\n  \"eos_token\": \"" + ClipTokenizer.END + "\",\n  \"model_max_length\": " + maxLength
                + ",\n  \"pad_token\": \"" + ClipTokenizer.END + "\",\n  \"tokenizer_class\": \"CLIPTokenizer\",\n  \"unk_token\": \""
                + ClipTokenizer.END + "\"\n}\n");
    }

    /** Writes the tokenizer of folder {@code from} into {@code to}, as {@link #save} (read and checked first). */
    public static void copy(Path from, Path to) throws IOException {
        ClipTokenizer tokenizer = load(from);
        save(to, readVocab(from.resolve(VOCAB)), readMerges(from.resolve(MERGES)), tokenizer.maxLength());
    }

    private static String padToken(JsonFields f) {
        JsonElement e = f.json().get("pad_token");
        if (e != null && e.isJsonObject() && e.getAsJsonObject().has("content")) {
            return e.getAsJsonObject().get("content").getAsString();   // an AddedToken written as an object
        }
        return f.string("pad_token", ClipTokenizer.END);
    }

    static Map<String, Integer> readVocab(Path file) throws IOException {
        JsonFields f = JsonFields.parse(read(file), file.toString());
        Map<String, Integer> vocab = new LinkedHashMap<>();
        for (String token : f.keys()) {
            vocab.put(token, f.integerOf(token, f.json().get(token)));
        }
        if (vocab.isEmpty()) {
            throw new IOException(file + ": the vocabulary is empty");
        }
        return vocab;
    }

    static List<String[]> readMerges(Path file) throws IOException {
        String[] lines = read(file).strip().split("\n");
        List<String[]> merges = new ArrayList<>();
        // like transformers: the first line is the "#version: 0.2" header, the rest are merges
        for (int i = 1; i < lines.length && merges.size() < MAX_MERGES; i++) {
            String[] pair = lines[i].strip().split("\\s+");
            if (pair.length != 2) {
                throw new IOException(file + ": line " + (i + 1) + " is \"" + abbreviate(lines[i])
                        + "\"; every line after the #version header must be two symbols separated by a space");
            }
            merges.add(pair);
        }
        return merges;
    }

    private static String read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "missing; a CLIPTokenizer folder holds " + VOCAB + ", "
                    + MERGES + " and " + CONFIG);
        }
        if (Files.size(file) > MAX_FILE_BYTES) {
            throw new IOException(file + ": " + Files.size(file) + " bytes, more than any tokenizer file (limit "
                    + MAX_FILE_BYTES + ")");
        }
        return Files.readString(file, StandardCharsets.UTF_8);
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 80) + "…";
    }
}
