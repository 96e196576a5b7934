package org.diffusion4j.hostile;

import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;

/** Where the corpus and the repository are, seen from a test run. */
final class Corpus {
    private Corpus() {
    }

    /** The corpus directory on the test class path ({@code target/test-classes/hostile}). */
    static Path dir() {
        URL url = Corpus.class.getResource("/hostile/MANIFEST.tsv");
        if (url == null) {
            throw new IllegalStateException("hostile/MANIFEST.tsv is not on the test class path");
        }
        try {
            return Path.of(url.toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The repository root: the {@code diffusion4j.root} system property the parent pom passes to
     * surefire, else the parent of the working directory when that holds {@code diffusion4j-core}.
     */
    static Path repoRoot() {
        String p = System.getProperty("diffusion4j.root");
        if (p != null && !p.isBlank() && Files.isDirectory(Path.of(p, "diffusion4j-core"))) {
            return Path.of(p);
        }
        Path here = Path.of("").toAbsolutePath();
        for (Path d = here; d != null; d = d.getParent()) {
            if (Files.isDirectory(d.resolve("diffusion4j-core"))) {
                return d;
            }
        }
        throw new IllegalStateException("cannot find the repository root from " + here);
    }
}
