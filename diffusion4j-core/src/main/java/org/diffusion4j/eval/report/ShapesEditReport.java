package org.diffusion4j.eval.report;

import com.google.gson.JsonArray;
import java.util.List;

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
            double seconds) implements Column.EditRow {}

    private ShapesEditReport() {}

    private static final List<Column<Row>> COLUMNS = Column.edits(List.of(
            new Column<>("both objects asked ↑", "both_objects", Row::objects, "%.3f"),
            new Column<>("objects + relation ↑", "objects_and_relation", Row::correct, "%.3f"),
            new Column<>("still the original", "still_original", Row::unchanged, "%.3f")));

    /** A markdown table of {@code rows} under {@code title}. */
    public static String table(String title, List<Row> rows) {
        return Column.table(title, COLUMNS, Row::name, rows);
    }

    /** The rows as JSON objects. */
    public static JsonArray json(List<Row> rows) {
        return Column.json(COLUMNS, Row::name, rows);
    }
}
