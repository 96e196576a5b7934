package org.diffusion4j.hostile;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One row of the hostile-input manifest ({@code hostile/MANIFEST.tsv}): a file (or folder) of the
 * corpus, the parser it is fed to, the exception it must produce and a fragment its message must
 * hold. The message must also name {@link #names()} (the offending file).
 *
 * @param path        path under {@code src/test/resources/hostile/}
 * @param parser      which reader gets it
 * @param expected    simple name of the exception class, or {@value #OK} when it must parse
 * @param fragment    text the message must contain (names the problem)
 * @param names       file name the message must contain (names the file)
 * @param description what is wrong with the input, for the docs table
 */
record HostileCase(String path, Parser parser, String expected, String fragment, String names, String description) {

    /** {@link #expected()} of an input that must parse without error. */
    static final String OK = "OK";

    static final String HEADER = "path\tparser\texpected\tfragment\tnames\tdescription";

    HostileCase {
        for (String s : List.of(path, expected, fragment, names, description)) {
            if (s.contains("\t") || s.contains("\n")) {
                throw new IllegalArgumentException("tab or newline in manifest field: " + s);
            }
        }
    }

    /** Description prefix of a row whose reader is known not to meet it yet (in code this branch may not fix). */
    static final String KNOWN_BUG = "KNOWN BUG: ";

    /**
     * Whether the reader is known to miss this row's message or class. Such a row must still answer
     * in time, within the allocation limit and with a declared exception; the rest is reported, not failed.
     */
    boolean knownBug() {
        return description.startsWith(KNOWN_BUG);
    }

    boolean mustParse() {
        return OK.equals(expected);
    }

    String toTsv() {
        return String.join("\t", path, parser.name(), expected, fragment, names, description);
    }

    static HostileCase fromTsv(String line) {
        String[] f = line.split("\t", -1);
        if (f.length != 6) {
            throw new IllegalArgumentException("manifest line has " + f.length + " fields, not 6: " + line);
        }
        return new HostileCase(f[0], Parser.valueOf(f[1]), f[2], f[3], f[4], f[5]);
    }

    static List<HostileCase> readManifest(Path manifest) {
        try {
            List<String> lines = Files.readAllLines(manifest, StandardCharsets.UTF_8);
            if (lines.isEmpty() || !lines.get(0).equals(HEADER)) {
                throw new IllegalArgumentException(manifest + ": first line must be the header " + HEADER);
            }
            List<HostileCase> out = new ArrayList<>();
            for (String line : lines.subList(1, lines.size())) {
                if (!line.isBlank()) {
                    out.add(fromTsv(line));
                }
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String toString() {
        return path;
    }
}
