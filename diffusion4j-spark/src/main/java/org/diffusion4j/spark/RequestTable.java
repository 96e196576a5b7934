package org.diffusion4j.spark;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.diffusion4j.pipeline.ModelClasses;

/**
 * A table of requests — one row per image: {@code index} (required, an integer ≥ 0, unique), {@code prompt} (text
 * models) or {@code class} (class models: an id or a name, as {@code --class} takes them), and an optional
 * {@code seed} — read from a JSON-lines file ({@code .jsonl}), a CSV file with a header line ({@code .csv}) or a
 * Spark DataFrame ({@link SparkRequests}), and checked against the model on the driver. Every mistake is refused
 * with the file, the line and the column: a missing or negative index, an index given twice, a prompt for a class
 * model, an unknown class name, a malformed line.
 *
 * <pre>
 * {"index": 0, "prompt": "a red circle"}
 * {"index": 1, "prompt": "a small blue square", "seed": 7}
 * </pre>
 */
public final class RequestTable {

    /** The columns a table may have. */
    public static final Set<String> COLUMNS = Set.of("index", "prompt", "class", "seed");

    /**
     * What the rows are checked against.
     *
     * @param text whether the model is text-conditional (rows need a prompt)
     * @param classes the model's classes (a class-conditional model's rows need a class)
     */
    public record Model(boolean text, ModelClasses classes) {

        /** What {@code pipe} takes: prompts or classes. */
        public static Model of(org.diffusion4j.pipeline.DiffusionPipeline pipe) {
            return new Model(pipe.isText(), pipe.classes());
        }

        /** What the model folder {@code dir} takes (loads it). */
        public static Model load(Path dir) throws IOException {
            try (org.diffusion4j.pipeline.DiffusionPipeline pipe = org.diffusion4j.pipeline.DiffusionPipeline.load(dir)) {
                return of(pipe);
            }
        }

        String kind() {
            return text ? "text-conditional (a StableDiffusionPipeline)" : classes.conditional() ? "class-conditional" : "unconditional";
        }
    }

    private final Model model;
    private final String source;
    private final List<Request> rows = new ArrayList<>();
    private final Map<Integer, String> seen = new HashMap<>();

    private RequestTable(Model model, String source) {
        this.model = model;
        this.source = source;
    }

    /**
     * Reads {@code file}, JSON lines or CSV by its extension, and checks every row against {@code model}.
     *
     * @throws IllegalArgumentException naming the file, the line and the column of the first mistake
     * @throws NoSuchFileException when there is no such file
     */
    public static List<Request> read(Path file, Model model) throws IOException {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        boolean jsonl = name.endsWith(".jsonl") || name.endsWith(".ndjson");
        if (!jsonl && !name.endsWith(".csv")) {
            throw new IllegalArgumentException(file + ": the format of a requests file is told by its extension: .jsonl (one JSON "
                    + "object per line) or .csv (a header line, then one row per line)");
        }
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "no such requests file");
        }
        List<String> lines = Files.readAllLines(file);
        RequestTable t = new RequestTable(model, file.toString());
        if (jsonl) {
            t.readJsonLines(lines);
        } else {
            t.readCsv(lines);
        }
        return t.finish();
    }

    /** A table being filled by another reader (a DataFrame's rows); {@code source} names it in errors. */
    static RequestTable builder(Model model, String source) {
        return new RequestTable(model, source);
    }

    private void readJsonLines(List<String> lines) {
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank()) {
                continue;
            }
            String where = source + ":" + (i + 1);
            JsonObject o;
            try {
                JsonElement e = JsonParser.parseString(line);
                if (!e.isJsonObject()) {
                    throw new IllegalArgumentException(where + ": not a JSON object; each line is one request, e.g. "
                            + "{\"index\": 0, \"prompt\": \"a red circle\"}");
                }
                o = e.getAsJsonObject();
            } catch (JsonParseException e) {
                throw new IllegalArgumentException(where + ": malformed JSON (" + firstLine(e) + "); each line is one request, e.g. "
                        + "{\"index\": 0, \"prompt\": \"a red circle\"}");
            }
            Map<String, Object> cells = new LinkedHashMap<>();
            for (Map.Entry<String, JsonElement> c : o.entrySet()) {
                cells.put(c.getKey(), jsonCell(where, c.getKey(), c.getValue()));
            }
            add(where, cells);
        }
    }

    private static Object jsonCell(String where, String column, JsonElement v) {
        if (v.isJsonNull()) {
            return null;
        }
        if (v.isJsonPrimitive()) {
            JsonPrimitive p = v.getAsJsonPrimitive();
            return p.isNumber() ? new BigDecimal(p.getAsString()) : p.isString() ? p.getAsString() : p.getAsBoolean();
        }
        throw new IllegalArgumentException(where + ": column '" + column + "' is a JSON " + (v.isJsonArray() ? "array" : "object")
                + "; give one number or string");
    }

    private void readCsv(List<String> lines) {
        int h = 0;
        while (h < lines.size() && lines.get(h).isBlank()) {
            h++;
        }
        if (h == lines.size()) {
            throw new IllegalArgumentException(source + ": empty; a requests CSV starts with a header line such as index,prompt,seed");
        }
        List<String> header = Csv.cells(lines.get(h).replace("\uFEFF", ""), source + ":" + (h + 1)); // a byte-order mark is not a column
        for (int c = 0; c < header.size(); c++) {
            header.set(c, header.get(c).strip());
        }
        for (String column : header) {
            checkColumn(source + ":" + (h + 1), column);
        }
        if (!header.contains("index")) {
            throw new IllegalArgumentException(source + ":" + (h + 1) + ": the header has no column 'index' (got " + header
                    + "); the first line names the columns, e.g. index,prompt,seed");
        }
        for (int i = h + 1; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) {
                continue;
            }
            String where = source + ":" + (i + 1);
            List<String> cells = Csv.cells(lines.get(i), where);
            if (cells.size() != header.size()) {
                throw new IllegalArgumentException(where + ": " + cells.size() + " cells but the header has " + header.size()
                        + " columns " + header + " (quote a cell that holds a comma: \"a red, round thing\")");
            }
            Map<String, Object> row = new LinkedHashMap<>();
            for (int c = 0; c < cells.size(); c++) {
                String cell = cells.get(c);
                row.put(header.get(c), cell.isEmpty() && !header.get(c).equals("prompt") ? null : cell);
            }
            add(where, row);
        }
    }

    /**
     * Checks one row ({@code column → value}: a string, a number, or null for an empty cell) and adds it.
     *
     * @param where the file and line (or DataFrame row) for errors
     */
    void add(String where, Map<String, Object> cells) {
        for (String column : cells.keySet()) {
            checkColumn(where, column);
        }
        int index = index(where, cells.get("index"));
        // a column the model cannot take is named before a column it misses
        Long classId = model.text() ? classId(where, cells.get("class")) : null;
        String prompt = prompt(where, cells.containsKey("prompt") ? cells.get("prompt") : null, cells.containsKey("prompt"));
        if (!model.text()) {
            classId = classId(where, cells.get("class"));
        }
        Long seed = cells.get("seed") == null ? null : integer(where, "seed", cells.get("seed"), Long.MIN_VALUE, Long.MAX_VALUE);
        String before = seen.putIfAbsent(index, where);
        if (before != null) {
            throw new IllegalArgumentException(where + ": column 'index': " + index + " is also at " + before
                    + "; each index is one image (" + SparkSampling.PREFIX + String.format(Locale.ROOT, "%05d", index) + ".png)");
        }
        rows.add(new Request(index, prompt, classId, seed));
    }

    private static void checkColumn(String where, String column) {
        if (!COLUMNS.contains(column)) {
            throw new IllegalArgumentException(where + ": unknown column '" + column + "'; a request has index (required), prompt "
                    + "(text models) or class (class models), and seed (optional)");
        }
    }

    private static int index(String where, Object v) {
        if (v == null) {
            throw new IllegalArgumentException(where + ": column 'index' is missing; every request needs an index, an integer >= 0 "
                    + "(its image is " + SparkSampling.PREFIX + "<index>.png)");
        }
        return (int) integer(where, "index", v, 0, Integer.MAX_VALUE);
    }

    private String prompt(String where, Object v, boolean given) {
        if (!model.text()) {
            if (given) {
                throw new IllegalArgumentException(where + ": column 'prompt': the model is " + model.kind() + ", not text-conditional; "
                        + (model.classes().conditional() ? "give 'class' (an id or a name) instead" : "leave the prompt out"));
            }
            return null;
        }
        if (v == null || v.toString().isBlank()) {
            throw new IllegalArgumentException(where + ": column 'prompt' is " + (v == null ? "missing" : "empty")
                    + "; the model is text-conditional: every request needs a prompt, e.g. \"a red circle\"");
        }
        if (!(v instanceof String s)) {
            throw new IllegalArgumentException(where + ": column 'prompt' is " + v + "; give the prompt as a string");
        }
        return s;
    }

    private Long classId(String where, Object v) {
        ModelClasses classes = model.classes();
        if (!classes.conditional()) {
            if (v != null) {
                throw new IllegalArgumentException(where + ": column 'class': the model is " + model.kind()
                        + (model.text() ? "; give 'prompt' instead" : "; leave the class out"));
            }
            return null;
        }
        if (v == null) {
            throw new IllegalArgumentException(where + ": column 'class' is missing; the model is class-conditional: every request "
                    + "needs a class, an id in [0, " + (classes.count() - 1) + "] or a name");
        }
        String token = v instanceof BigDecimal d ? d.toPlainString() : v.toString().strip();
        if (token.contains(",")) {
            throw new IllegalArgumentException(where + ": column 'class' is '" + token + "'; one class per request (one row per image)");
        }
        try {
            return classes.resolve(token, token);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": column 'class': " + e.getMessage().replaceFirst("^--class ", ""));
        }
    }

    private static long integer(String where, String column, Object v, long min, long max) {
        BigDecimal d;
        try {
            d = v instanceof BigDecimal b ? b : v instanceof Number n ? new BigDecimal(n.toString()) : new BigDecimal(v.toString().strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(where + ": column '" + column + "' is '" + v + "', not an integer");
        }
        if (d.stripTrailingZeros().scale() > 0) {
            throw new IllegalArgumentException(where + ": column '" + column + "' is " + d.toPlainString() + ", not an integer");
        }
        if (d.compareTo(BigDecimal.valueOf(min)) < 0 || d.compareTo(BigDecimal.valueOf(max)) > 0) {
            throw new IllegalArgumentException(where + ": column '" + column + "' is " + d.toPlainString() + "; it must be in ["
                    + min + ", " + max + "]");
        }
        return d.longValueExact();
    }

    /** The rows, sorted by index. */
    List<Request> finish() {
        if (rows.isEmpty()) {
            throw new IllegalArgumentException(source + ": no requests (one row per image: index and "
                    + (model.text() ? "prompt" : model.classes().conditional() ? "class" : "nothing else") + ")");
        }
        rows.sort(java.util.Comparator.comparingInt(Request::index));
        return List.copyOf(rows);
    }

    private static String firstLine(Exception e) {
        Throwable c = e.getCause() != null ? e.getCause() : e;
        String m = String.valueOf(c.getMessage());
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
