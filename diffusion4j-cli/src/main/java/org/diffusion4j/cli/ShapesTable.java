package org.diffusion4j.cli;

import java.util.Locale;
import org.diffusion4j.pipeline.ShapesEvaluation;

/**
 * The Markdown table {@code eval} and {@code spark-eval} print for a text model of the shapes data: one row per guidance
 * scale (and the real images' ceiling), the two-object figures as a funnel — the parts drawn, bound, and in relation.
 */
final class ShapesTable {

    private ShapesTable() {}

    /** The header and the separator line, with the CLIP columns when {@code clip}. */
    static String header(boolean clip) {
        return "| guidance w | one object (colour + shape) | size | two objects: the parts | two objects: bound | "
                + "two objects (binding + relation) | held-out compositions |" + (clip ? " CLIP score | FD (CLIP image features) |" : "")
                + "\n|---:|---:|---:|---:|---:|---:|---:|" + (clip ? "---:|---:|" : "") + "\n";
    }

    /** One row: {@code label} in the first column, then the scores. */
    static String row(String label, ShapesEvaluation.Scores s, boolean clip) {
        return String.format(Locale.ROOT, "| %s | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f |%s%n", label, s.oneObject(), s.size(),
                s.twoParts(), s.twoBound(), s.twoObject(), s.heldOut(),
                clip ? String.format(Locale.ROOT, " %.1f | %.4f |", s.clipScore(), s.fd()) : "");
    }

    /** The scores as JSON; a score that was not measured (NaN) is left out. */
    static com.google.gson.JsonObject json(ShapesEvaluation.Scores sc) {
        com.google.gson.JsonObject o = new com.google.gson.JsonObject();
        o.addProperty("images", sc.images());
        String[] names = {"one_object", "size", "two_objects_parts", "two_objects_bound", "two_objects", "held_out", "clip_score", "fd_clip"};
        double[] values = {sc.oneObject(), sc.size(), sc.twoParts(), sc.twoBound(), sc.twoObject(), sc.heldOut(), sc.clipScore(), sc.fd()};
        for (int i = 0; i < names.length; i++) {
            if (!Double.isNaN(values[i])) {
                o.addProperty(names[i], values[i]);
            }
        }
        return o;
    }
}
