package org.diffusion4j.io;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * The one typed reader of the project's JSON objects ({@code config.json}, {@code scheduler_config.json},
 * training configs): each accessor returns a field as a Java value or throws an
 * {@link IllegalArgumentException} in one style — {@code SOURCE: field "F" must be WANT, got VALUE} —
 * so every config file reports a mistake by file, field, what was found and what would be right.
 *
 * <p>An absent field takes the given default. A field present as {@code null} is an error, except where
 * the accessor says null is a value ({@link #nullableInteger}, {@link #nullableString}).
 */
public final class JsonFields {

    private final JsonObject o;
    private final String source;
    private final boolean pythonNumbers;

    private JsonFields(JsonObject o, String source, boolean pythonNumbers) {
        this.o = o;
        this.source = source;
        this.pythonNumbers = pythonNumbers;
    }

    /** The fields of {@code o}; {@code source} names it in errors (usually a file path). */
    public static JsonFields of(JsonObject o, String source) {
        return new JsonFields(o, source, false);
    }

    /**
     * Parses JSON text that must be one object.
     *
     * @throws IllegalArgumentException {@code SOURCE: not valid JSON (…)} or {@code SOURCE: expected a JSON object, got …}
     */
    public static JsonFields parse(String json, String source) {
        JsonElement e;
        try {
            e = JsonParser.parseString(json);
        } catch (JsonParseException ex) {
            throw new IllegalArgumentException(source + ": not valid JSON (" + abbreviate(String.valueOf(ex.getMessage())) + ")", ex);
        }
        return new JsonFields(object(e, source), source, false);
    }

    /**
     * Parses JSON as Python's {@code json} module writes it: also {@code Infinity}, {@code -Infinity} and
     * {@code NaN} as numbers (diffusers writes them so).
     */
    public static JsonFields parsePython(String json, String source) {
        JsonElement e;
        try {
            JsonReader reader = new JsonReader(new StringReader(json));
            reader.setStrictness(Strictness.LENIENT);
            e = JsonParser.parseReader(reader);
            if (reader.peek() != JsonToken.END_DOCUMENT) {
                throw new IllegalArgumentException(source + ": not valid JSON (trailing content after the JSON object)");
            }
        } catch (JsonParseException | IOException ex) {
            throw new IllegalArgumentException(source + ": not valid JSON (" + abbreviate(String.valueOf(ex.getMessage())) + ")", ex);
        }
        return new JsonFields(object(e, source), source, true);
    }

    private static JsonObject object(JsonElement e, String source) {
        if (e == null || !e.isJsonObject()) {
            throw new IllegalArgumentException(source + ": expected a JSON object, got " + kind(e));
        }
        return e.getAsJsonObject();
    }

    public String source() {
        return source;
    }

    /** The object itself (read-only by convention). */
    public JsonObject json() {
        return o;
    }

    public Set<String> keys() {
        return o.keySet();
    }

    /** Whether the field is there (also when it is null). */
    public boolean has(String field) {
        return o.has(field);
    }

    /** Whether the field is there and null. */
    public boolean isNull(String field) {
        return o.has(field) && o.get(field).isJsonNull();
    }

    /** Refuses fields outside {@code known}, listing them and the known ones. */
    public void requireOnly(Set<String> known) {
        Set<String> unknown = new TreeSet<>(o.keySet());
        unknown.removeAll(known);
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException(source + ": unknown field(s) " + unknown + "; known fields: " + new TreeSet<>(known));
        }
    }

    /** An error about {@code field}: {@code SOURCE: field "F" PROBLEM; FIX}. */
    public IllegalArgumentException error(String field, String problem, String fix) {
        return new IllegalArgumentException(source + ": field \"" + field + "\" " + problem + (fix.isEmpty() ? "" : "; " + fix));
    }

    /** {@code SOURCE: field "F" must be WANT, got VALUE}. */
    public IllegalArgumentException mustBe(String field, String want) {
        return new IllegalArgumentException(source + ": field \"" + field + "\" must be " + want + ", got " + kind(o.get(field)));
    }

    /** The field's value, which must be present and not null. */
    public JsonElement required(String field, String want) {
        JsonElement e = present(field);
        if (e == null) {
            throw new IllegalArgumentException(source + ": required field \"" + field + "\" is "
                    + (o.has(field) ? "null" : "missing") + "; it must be " + want);
        }
        return e;
    }

    private JsonElement present(String field) {
        JsonElement e = o.get(field);
        return e == null || e.isJsonNull() ? null : e;
    }

    /** A field that must not be null when present. */
    private JsonElement nonNull(String field, String want) {
        JsonElement e = present(field);
        if (e == null && o.has(field)) {
            throw mustBe(field, want);
        }
        return e;
    }

    public String string(String field, String fallback) {
        JsonElement e = nonNull(field, "a string");
        if (e == null) {
            return fallback;
        }
        if (!isString(e)) {
            throw mustBe(field, "a string");
        }
        return e.getAsString();
    }

    /** A string, or null when the field is null. */
    public String nullableString(String field, String fallback) {
        if (!o.has(field)) {
            return fallback;
        }
        JsonElement e = o.get(field);
        if (e.isJsonNull()) {
            return null;
        }
        if (!isString(e)) {
            throw mustBe(field, "a string or null");
        }
        return e.getAsString();
    }

    public boolean bool(String field, boolean fallback) {
        JsonElement e = nonNull(field, "true or false");
        if (e == null) {
            return fallback;
        }
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
            throw mustBe(field, "true or false");
        }
        return e.getAsBoolean();
    }

    public double number(String field, double fallback) {
        JsonElement e = nonNull(field, "a number");
        return e == null ? fallback : number(field, e);
    }

    private double number(String field, JsonElement e) {
        if (e.isJsonPrimitive()) {
            JsonPrimitive p = e.getAsJsonPrimitive();
            if (p.isNumber()) {
                try {
                    return Double.parseDouble(p.getAsString());
                } catch (NumberFormatException ex) {
                    throw mustBe(field, "a decimal number");
                }
            }
            if (pythonNumbers && p.isString() && Set.of("Infinity", "-Infinity", "NaN").contains(p.getAsString())) {
                return Double.parseDouble(p.getAsString());
            }
        }
        throw new IllegalArgumentException(source + ": field \"" + field + "\" must be a decimal number, got " + kind(e));
    }

    public int integer(String field, int fallback) {
        JsonElement e = nonNull(field, "an integer");
        if (e == null) {
            return fallback;
        }
        if (!isInt(e)) {
            throw mustBe(field, "an integer (a whole number)");
        }
        return Integer.parseInt(wholeText(e));
    }

    /** An integer, or null when the field is null. */
    public Integer nullableInteger(String field, Integer fallback) {
        if (!o.has(field)) {
            return fallback;
        }
        JsonElement e = o.get(field);
        if (e.isJsonNull()) {
            return null;
        }
        if (!isInt(e)) {
            throw mustBe(field, "an integer or null");
        }
        return Integer.parseInt(wholeText(e));
    }

    public long longValue(String field, long fallback) {
        JsonElement e = nonNull(field, "an integer");
        if (e == null) {
            return fallback;
        }
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber() || !e.getAsString().matches("-?[0-9]{1,18}(\\.0+)?")) {
            throw mustBe(field, "an integer (a whole number)");
        }
        return Long.parseLong(wholeText(e));
    }

    /** {@code value}, an element of {@code field}, as an int. */
    public int integerOf(String field, JsonElement value) {
        if (!isInt(value)) {
            throw new IllegalArgumentException(source + ": field \"" + field + "\" must be an integer, got " + kind(value));
        }
        return Integer.parseInt(wholeText(value));
    }

    /** A required list of integers. */
    public int[] intList(String field, String want) {
        JsonElement e = required(field, want);
        if (!e.isJsonArray()) {
            throw mustBe(field, want);
        }
        JsonArray a = e.getAsJsonArray();
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            if (!isInt(a.get(i))) {
                throw new IllegalArgumentException(source + ": field \"" + field + "\"[" + i + "] must be an integer, got " + kind(a.get(i)));
            }
            out[i] = Integer.parseInt(wholeText(a.get(i)));
        }
        return out;
    }

    /** A required list of strings. */
    public List<String> stringList(String field, String want) {
        JsonElement e = required(field, want);
        if (!e.isJsonArray()) {
            throw mustBe(field, want);
        }
        List<String> out = new ArrayList<>();
        JsonArray a = e.getAsJsonArray();
        for (int i = 0; i < a.size(); i++) {
            if (!isString(a.get(i))) {
                throw new IllegalArgumentException(source + ": field \"" + field + "\"[" + i + "] must be a string, got " + kind(a.get(i)));
            }
            out.add(a.get(i).getAsString());
        }
        return out;
    }

    /** null (when absent or null), or a list of numbers. */
    public double[] nullableNumbers(String field, String want) {
        JsonElement e = present(field);
        if (e == null) {
            return null;
        }
        if (!e.isJsonArray()) {
            throw mustBe(field, want);
        }
        JsonArray a = e.getAsJsonArray();
        double[] out = new double[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = number(field + "\"[" + i + "]", a.get(i));
        }
        return out;
    }

    /** A required object field. */
    public JsonObject object(String field, String want) {
        JsonElement e = required(field, want);
        if (!e.isJsonObject()) {
            throw mustBe(field, want);
        }
        return e.getAsJsonObject();
    }

    /**
     * A string field mapped through {@code parse}, whose IllegalArgumentException message names the accepted
     * values; absent: {@code fallback}.
     */
    public <T> T named(String field, T fallback, Function<String, T> parse) {
        if (present(field) == null && !o.has(field)) {
            return fallback;
        }
        String s = string(field, null);
        try {
            return parse.apply(s);
        } catch (IllegalArgumentException e) {
            throw error(field, "is \"" + s + "\", which is not supported", e.getMessage());
        }
    }

    /** Requires the field, when present, to hold {@code accepted} (a variant this toolkit does not compute otherwise). */
    public void requireValue(String field, String accepted, String why) {
        String s = string(field, accepted);
        if (!s.equals(accepted)) {
            throw error(field, "is \"" + s + "\" but " + why, "use \"" + accepted + "\"");
        }
    }

    private static boolean isString(JsonElement e) {
        return e.isJsonPrimitive() && e.getAsJsonPrimitive().isString();
    }

    /**
     * Whether a JSON value is an int, judged from its text: converting first would let an exponent like
     * {@code 1e-999999999} reach Gson's BigDecimal path, which throws.
     */
    public static boolean isInt(JsonElement e) {
        if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            return false;
        }
        String text = e.getAsString();
        if (!text.matches("-?[0-9]{1,10}(\\.0+)?")) {
            return false;
        }
        return Math.abs(Long.parseLong(wholeText(e))) <= Integer.MAX_VALUE;
    }

    private static String wholeText(JsonElement e) {
        return e.getAsString().replaceAll("\\.0+$", "");
    }

    /** How a value reads in an error: {@code null}, {@code an object}, {@code a list} or the value itself. */
    public static String kind(JsonElement e) {
        if (e == null || e.isJsonNull()) {
            return "null";
        }
        return e.isJsonObject() ? "an object" : e.isJsonArray() ? "a list" : abbreviate(e.toString());
    }

    /** Cuts a message (which may echo a long JSON path or value) to a readable length. */
    private static String abbreviate(String message) {
        return message.length() <= 300 ? message : message.substring(0, 300) + "…";
    }
}
