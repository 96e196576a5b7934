package org.diffusion4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every {@code ```java} block of the README, as written: its imports go to the top of a class, the
 * rest into {@code main}; it is compiled against this module's class path and run in a child JVM
 * (offline) in a folder where {@code models/} is the repository's. So the examples cannot drift from
 * the code.
 */
class ReadmeExamplesTest {

    @TempDir
    Path work;

    static Path repoRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.isRegularFile(p.resolve("README.md"))) {
            p = p.getParent();
        }
        return p;
    }

    /** The README's java blocks, in order. */
    static List<String> javaBlocks(String readme) {
        List<String> blocks = new ArrayList<>();
        Matcher m = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL).matcher(readme);
        while (m.find()) {
            blocks.add(m.group(1));
        }
        return blocks;
    }

    @Test
    void everyJavaBlockCompilesAndRuns() throws Exception {
        Path root = repoRoot();
        assumeTrue(root != null && Files.isDirectory(root.resolve("models/fashion-mnist-ddpm")), "bundled models not present");
        List<String> blocks = javaBlocks(Files.readString(root.resolve("README.md"), StandardCharsets.UTF_8));
        assertEquals(2, blocks.size(), "the README's library section has two examples");
        Files.createSymbolicLink(work.resolve("models"), root.resolve("models"));
        for (int i = 0; i < blocks.size(); i++) {
            run(source("Example" + i, blocks.get(i)), "Example" + i);
        }
        BufferedImage pipeline = ImageIO.read(work.resolve("sneakers-and-bags.png").toFile());
        assertEquals(8 * 28 + 9 * 2, pipeline.getWidth(), "8 columns of 28 px");
        assertEquals(2 * 28 + 3 * 2, pipeline.getHeight(), "two rows: sneakers, bags");
        BufferedImage samples = ImageIO.read(work.resolve("samples.png").toFile());
        assertEquals(4 * 28 + 5 * 2, samples.getWidth());
        assertEquals(4 * 28 + 5 * 2, samples.getHeight());
    }

    /** The block as a class: import lines first, every other line inside main. */
    static String source(String name, String block) {
        StringBuilder imports = new StringBuilder();
        StringBuilder body = new StringBuilder();
        for (String line : block.split("\n")) {
            (line.startsWith("import ") ? imports : body).append(line).append('\n');
        }
        return imports + "public class " + name + " {\npublic static void main(String[] args) throws Exception {\n" + body + "}\n}\n";
    }

    private void run(String source, String name) throws IOException, InterruptedException {
        Path file = work.resolve(name + ".java");
        Files.writeString(file, source);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        String cp = System.getProperty("java.class.path");
        int rc = javac.run(null, null, null, "-proc:none", "-cp", cp, "-d", work.toString(), file.toString());
        assertEquals(0, rc, "javac failed on:\n" + source);
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Path log = work.resolve(name + ".log");
        Process p = new ProcessBuilder(java.toString(), "-Dai.djl.offline=true",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", work + File.pathSeparator + cp, name)
                .directory(work.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), name + " did not finish in 5 minutes");
        assertEquals(0, p.exitValue(), name + " failed:\n" + Files.readString(log));
    }
}
