package org.diffusion4j.eval.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.google.gson.JsonArray;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A report's Markdown and JSON come from one list of columns: every row has a cell per header, and a missing value is blank and absent. */
class ColumnTest {

    @Test
    void tableAndJsonAgreeAndAMissingValueIsBlankAndAbsent() {
        List<ShapesEditReport.Row> rows = List.of(new ShapesEditReport.Row("RePaint", 100, 0.5, 0.25, 0.125, 0, 12.4),
                new ShapesEditReport.Row("ceiling", 0, 1.0, 0.995, 0.0, -1, 3.6));
        String md = ShapesEditReport.table("Replacing one object", rows);
        List<String> lines = md.lines().toList();
        assertEquals("**Replacing one object**", lines.get(0));
        assertEquals("| | evaluations / image | both objects asked ↑ | objects + relation ↑ | still the original | kept region, max 8-bit diff | seconds |",
                lines.get(2));
        assertEquals("|---|---:|---:|---:|---:|---:|---:|", lines.get(3));
        assertEquals("| RePaint | 100 | 0.500 | 0.250 | 0.125 | 0 | 12 |", lines.get(4));
        assertEquals("| ceiling | 0 | 1.000 | 0.995 | 0.000 |  | 4 |", lines.get(5));
        JsonArray json = ShapesEditReport.json(rows);
        assertEquals(0, json.get(0).getAsJsonObject().get("kept_max_8bit_difference").getAsInt());
        assertFalse(json.get(1).getAsJsonObject().has("kept_max_8bit_difference"));
        assertEquals("ceiling", json.get(1).getAsJsonObject().get("name").getAsString());
        assertEquals(0.995, json.get(1).getAsJsonObject().get("objects_and_relation").getAsDouble());
        assertEquals(7, json.get(0).getAsJsonObject().size(), "name and six columns");
    }
}
