package org.diffusion4j.hostile;

import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Rewrites the committed corpus, manifest and docs table from {@link HostileCorpus}. Runs only on
 * request:
 * {@code mvn -B -o -q -pl diffusion4j-core test -Dtest=RegenerateCorpusTest -Dhostile.regenerate=true}.
 */
@EnabledIfSystemProperty(named = "hostile.regenerate", matches = "true")
class RegenerateCorpusTest {
    @Test
    void regenerate() throws Exception {
        Path root = Corpus.repoRoot();
        HostileCorpus.writeAll(root);
        assertFalse(HostileCorpus.all().isEmpty());
    }
}
