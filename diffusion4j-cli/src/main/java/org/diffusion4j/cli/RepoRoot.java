package org.diffusion4j.cli;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The repository root, where the bundled model lives. */
final class RepoRoot {

    /** System property naming the root; the launcher and surefire set it. */
    static final String PROPERTY = "diffusion4j.root";

    private RepoRoot() {}

    /**
     * {@value #PROPERTY} if set, else derived from where this class was loaded:
     * {@code <root>/diffusion4j-cli/target/diffusion4j-cli-*.jar} or {@code <root>/diffusion4j-cli/target/classes}.
     */
    static Path find() {
        String p = System.getProperty(PROPERTY);
        if (p != null && !p.isBlank()) {
            return Path.of(p).toAbsolutePath().normalize();
        }
        try {
            Path code = Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            Path target = Files.isDirectory(code) ? code.getParent() : code.getParent(); // target/
            Path module = target == null ? null : target.getParent();
            Path root = module == null ? null : module.getParent();
            if (root != null) {
                return root.toAbsolutePath().normalize();
            }
        } catch (URISyntaxException | SecurityException | NullPointerException e) {
            // fall through
        }
        return Path.of("").toAbsolutePath();
    }
}
