package org.diffusion4j.eval.report;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.util.List;
import java.util.Locale;

/** The table and JSON rows of the shapes editing evaluation (replace one object of a two-object image, read by the shapes analyzer). */
public final class ShapesEditReport {

    /**
     * One scored set of edits.
     *
     * @param name what made them
     * @param evaluations network evaluations per image
     * @param objects fraction where the analyzer finds both asked objects (colour and shape)
     * @param correct fraction where it finds them and the relation holds (the two-object accuracy of text-to-image)
     * @param unchanged fraction where it still reads the original scene
     * @param keptDifference the largest 8-bit difference outside the masks; −1 when not an edit
     * @param seconds wall time
     */
    public record Row(String name, int evaluations, double objects, double correct, double unchanged, int keptDifference,
            double seconds) {}

    private ShapesEditReport() {}

    /** A markdown table of {@code rows} under {@code title}. */
    public static String table(String title, List<Row> rows) {
        StringBuilder b = new StringBuilder("**" + title + "**\n\n"
                + "| | evaluations / image | both objects asked ↑ | objects + relation ↑ | still the original | kept region, max 8-bit diff | seconds |\n"
                + "|---|---:|---:|---:|---:|---:|---:|\n");
        for (Row r : rows) {
            b.append(String.format(Locale.ROOT, "| %s | %d | %.3f | %.3f | %.3f | %s | %.0f |%n", r.name(), r.evaluations(), r.objects(),
                    r.correct(), r.unchanged(), r.keptDifference() < 0 ? "" : Integer.toString(r.keptDifference()), r.seconds()));
        }
        return b.append('\n').toString();
    }

    /** The rows as JSON objects. */
    public static JsonArray json(List<Row> rows) {
        JsonArray a = new JsonArray();
        for (Row r : rows) {
            JsonObject o = new JsonObject();
            o.addProperty("name", r.name());
            o.addProperty("evaluations", r.evaluations());
            o.addProperty("both_objects", r.objects());
            o.addProperty("objects_and_relation", r.correct());
            o.addProperty("still_original", r.unchanged());
            if (r.keptDifference() >= 0) {
                o.addProperty("kept_max_8bit_difference", r.keptDifference());
            }
            o.addProperty("seconds", r.seconds());
            a.add(o);
        }
        return a;
    }
}
