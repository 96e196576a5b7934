package org.diffusion4j.spark;

import java.util.ArrayList;
import java.util.List;

/** The cells of one CSV line (RFC 4180: comma-separated, a quoted cell may hold commas and doubled quotes ""). */
final class Csv {

    private Csv() {}

    /** The cells of {@code line}; {@code where} (file:line) names it in errors. */
    static List<String> cells(String line, String where) {
        List<String> out = new ArrayList<>();
        StringBuilder cell = new StringBuilder();
        int i = 0;
        int n = line.length();
        while (true) {
            if (i < n && line.charAt(i) == '"') {
                i++;
                while (true) {
                    if (i >= n) {
                        throw new IllegalArgumentException(where + ": a quoted cell is not closed (a cell is \"...\" on one line; "
                                + "a quote inside it is written \"\")");
                    }
                    char c = line.charAt(i++);
                    if (c == '"') {
                        if (i < n && line.charAt(i) == '"') {
                            cell.append('"');
                            i++;
                        } else {
                            break;
                        }
                    } else {
                        cell.append(c);
                    }
                }
                if (i < n && line.charAt(i) != ',') {
                    throw new IllegalArgumentException(where + ": text after the closing quote of cell " + (out.size() + 1)
                            + "; a quoted cell ends at its closing quote");
                }
            } else {
                while (i < n && line.charAt(i) != ',') {
                    cell.append(line.charAt(i++));
                }
            }
            out.add(cell.toString());
            cell.setLength(0);
            if (i >= n) {
                return out;
            }
            i++; // the comma
        }
    }
}
