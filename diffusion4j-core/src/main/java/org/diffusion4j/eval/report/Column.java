package org.diffusion4j.eval.report;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * One numeric column of a report whose rows are records: its Markdown header, its JSON key, the row's value (null when the
 * row has none: a blank cell, no key) and its format. A report declares its columns once; {@link #table} and {@link #json}
 * lay the rows out, so the Markdown and the JSON cannot disagree.
 */
record Column<R>(String header, String key, Function<R, ? extends Number> value, String format) {

    /** What every editing report's row has: who made the edits, their cost and whether the kept pixels stayed. */
    interface EditRow {
        String name();

        int evaluations();

        /** The largest 8-bit difference in the kept region; −1 when not an edit. */
        int keptDifference();

        double seconds();
    }

    /** An editing report's columns: evaluations per image, then {@code measures}, then the kept region and the seconds. */
    static <R extends EditRow> List<Column<R>> edits(List<Column<R>> measures) {
        List<Column<R>> all = new java.util.ArrayList<>();
        all.add(new Column<>("evaluations / image", "evaluations", EditRow::evaluations, "%d"));
        all.addAll(measures);
        all.add(new Column<>("kept region, max 8-bit diff", "kept_max_8bit_difference", r -> r.keptDifference() < 0 ? null : r.keptDifference(), "%d"));
        all.add(new Column<>("seconds", "seconds", EditRow::seconds, "%.0f"));
        return List.copyOf(all);
    }

    /** A Markdown table under {@code title}: the rows' names in the first column, then one cell per column. */
    static <R> String table(String title, List<Column<R>> columns, Function<R, String> name, List<R> rows) {
        StringBuilder b = new StringBuilder("**" + title + "**\n\n|");
        StringBuilder rule = new StringBuilder("|---|");
        for (Column<R> c : columns) {
            b.append(" | ").append(c.header());
            rule.append("---:|");
        }
        b.append(" |\n").append(rule).append('\n');
        for (R r : rows) {
            b.append("| ").append(name.apply(r)).append(" |");
            for (Column<R> c : columns) {
                Number v = c.value().apply(r);
                b.append(' ').append(v == null ? "" : String.format(Locale.ROOT, c.format(), v)).append(" |");
            }
            b.append('\n');
        }
        return b.append('\n').toString();
    }

    /** The rows as JSON objects: {@code name}, then each column's key (left out where the row has no value). */
    static <R> JsonArray json(List<Column<R>> columns, Function<R, String> name, List<R> rows) {
        JsonArray a = new JsonArray();
        for (R r : rows) {
            JsonObject o = new JsonObject();
            o.addProperty("name", name.apply(r));
            for (Column<R> c : columns) {
                Number v = c.value().apply(r);
                if (v != null) {
                    o.addProperty(c.key(), v);
                }
            }
            a.add(o);
        }
        return a;
    }
}
