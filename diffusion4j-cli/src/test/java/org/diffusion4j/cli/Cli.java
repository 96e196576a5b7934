package org.diffusion4j.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;

/** Runs the CLI in-process and captures what it prints. */
record Cli(int exitCode, String out, String err) {

    static Cli run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Cli(code, out.toString(), err.toString());
    }

    /** The repository root (set by surefire; falls back to the working directory's parent). */
    static Path root() {
        String p = System.getProperty("diffusion4j.root");
        return p != null ? Path.of(p) : Path.of("").toAbsolutePath().getParent();
    }

    /** The diffusers reference fixture folder in the core module's test resources. */
    static Path fixtures() {
        return root().resolve("diffusion4j-core/src/test/resources/fixtures/diffusers");
    }

    /** The lines of stderr (non-empty ones). */
    String[] errLines() {
        return err.lines().filter(l -> !l.isBlank()).toArray(String[]::new);
    }
}
