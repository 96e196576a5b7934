package org.diffusion4j.hostile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The data-driven hostile-input test: every row of {@code hostile/MANIFEST.tsv} is fed to its reader,
 * which must answer within {@link #TIMEOUT}, allocate at most {@link Guard#ALLOCATION_LIMIT}, and
 * either parse (rows marked OK) or throw exactly the listed exception class with a message that
 * names the problem (the fragment) and the file.
 */
class HostileCorpusTest {
    static final Duration TIMEOUT = Duration.ofSeconds(10);

    static Stream<HostileCase> cases() {
        return HostileCase.readManifest(Corpus.dir().resolve("MANIFEST.tsv")).stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void refusedAsListed(HostileCase c) {
        Path input = Corpus.dir().resolve(c.path());
        Guard.Outcome o = Guard.run(c.parser(), input, TIMEOUT);
        assertTrue(o.allocated() <= Guard.ALLOCATION_LIMIT, c.path() + ": allocated " + o.heapBytes()
                + " heap + " + o.directBytes() + " direct bytes, over the limit of " + Guard.ALLOCATION_LIMIT);
        Throwable t = o.thrown();
        if (c.mustParse()) {
            if (t != null) {
                fail(c.path() + " must parse but threw " + t, t);
            }
            return;
        }
        if (t == null) {
            fail(c.path() + " parsed, but must be refused with " + c.expected() + " containing \"" + c.fragment() + "\"");
        }
        if (!c.parser().declares(t)) {
            fail(c.path() + ": " + c.parser() + " threw an undeclared " + t, t);
        }
        String m = String.valueOf(t.getMessage());
        String problem = !t.getClass().getSimpleName().equals(c.expected()) ? "expected " + c.expected() + " but got " + t
                : !m.contains(c.fragment()) ? "message does not name the problem \"" + c.fragment() + "\""
                : !m.contains(c.names()) ? "message does not name the file " + c.names()
                : m.length() > MAX_MESSAGE ? "message is " + m.length() + " characters long"
                : m.chars().anyMatch(ch -> Character.isISOControl(ch) && ch != '\n') ? "message holds raw control characters"
                : null;
        if (problem == null) {
            return;
        }
        String detail = c.path() + ": " + problem + "\n  message: " + abbreviate(m);
        Assumptions.assumeFalse(c.knownBug(), "known bug, reported not failed: " + detail);
        fail(detail, t);
    }

    /** A message longer than this is itself a problem (e.g. a 60 KB JSON path echoed back). */
    static final int MAX_MESSAGE = 2000;

    private static String abbreviate(String m) {
        return m.length() <= 300 ? m : m.substring(0, 300) + "... (" + m.length() + " characters)";
    }

    /** Every file under hostile/ belongs to a manifest row, and every row's path exists. */
    @Test
    void manifestAndFilesAgree() throws IOException {
        Path source = Corpus.repoRoot().resolve("diffusion4j-core/src/test/resources/hostile");
        Path dir = Files.isDirectory(source) ? source : Corpus.dir(); // target/ may hold stale copies
        List<HostileCase> rows = HostileCase.readManifest(dir.resolve("MANIFEST.tsv"));
        List<String> orphans = new ArrayList<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                String rel = dir.relativize(f).toString().replace('\\', '/');
                if (!rel.equals("MANIFEST.tsv") && rows.stream().noneMatch(r -> rel.equals(r.path()) || rel.startsWith(r.path() + "/"))) {
                    orphans.add(rel);
                }
            }
        }
        assertEquals(List.of(), orphans, "files under hostile/ that no manifest row lists");
        for (HostileCase r : rows) {
            assertTrue(Files.exists(dir.resolve(r.path())), "manifest lists a missing input: " + r.path());
        }
        assertEquals(rows.size(), new TreeSet<>(rows.stream().map(HostileCase::path).toList()).size(), "duplicate rows");
    }

    /**
     * The committed corpus is what {@link HostileCorpus} makes: same manifest, same docs table, same
     * bytes (files made with a real compressor or ImageIO's JPEG writer are exempt from the byte
     * comparison, since their bytes depend on the zlib or JDK version).
     */
    @Test
    void committedCorpusIsWhatTheGeneratorMakes() throws IOException {
        Path dir = Corpus.dir();
        List<HostileCorpus.Generated> all = HostileCorpus.all();
        assertEquals(HostileCorpus.manifest(all), Files.readString(dir.resolve("MANIFEST.tsv"), StandardCharsets.UTF_8),
                "MANIFEST.tsv is stale: rerun RegenerateCorpusTest with -Dhostile.regenerate=true");
        List<String> stale = new ArrayList<>();
        for (HostileCorpus.Generated g : all) {
            if (!g.exact()) {
                continue;
            }
            for (Map.Entry<String, byte[]> f : g.files().entrySet()) {
                Path p = dir.resolve(f.getKey());
                if (!Files.exists(p) || !Arrays.equals(f.getValue(), Files.readAllBytes(p))) {
                    stale.add(f.getKey());
                }
            }
        }
        assertEquals(List.of(), stale, "committed corpus files differ from the generator: rerun RegenerateCorpusTest");
        Path docs = Corpus.repoRoot().resolve("docs/hostile-inputs.md");
        Assumptions.assumeTrue(Files.exists(docs), "docs/hostile-inputs.md not found from " + Corpus.repoRoot());
        assertTrue(Files.readString(docs).contains(HostileCorpus.table(all)),
                "the table in docs/hostile-inputs.md is stale: rerun RegenerateCorpusTest");
    }
}
