package org.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MainTest {

    @TempDir
    Path dir;

    @Test
    void helpListsEveryVerb() {
        Cli r = Cli.run("--help");
        assertEquals(0, r.exitCode());
        for (String verb : new String[] {"info", "forward", "sample"}) {
            assertTrue(r.out().lines().anyMatch(l -> l.strip().startsWith(verb + " ")), verb + " in:\n" + r.out());
        }
        assertTrue(r.out().contains("--verbose"));
        assertEquals("", r.err());
    }

    @Test
    void versionNamesTheProjectAndDjl() {
        Cli r = Cli.run("--version");
        assertEquals(0, r.exitCode());
        assertTrue(r.out().startsWith("diffusion4j "), r.out());
        assertTrue(r.out().contains("DJL 0.35.1"), r.out());
    }

    @Test
    void unknownOptionIsOneLineWithoutStackTraceAndExitCode2() {
        for (String[] args : new String[][] {{"--bogus"}, {"forward", "--bogus"}, {"sample", "--steps", "many"}}) {
            Cli r = Cli.run(args);
            assertEquals(2, r.exitCode(), String.join(" ", args));
            String[] lines = r.errLines();
            assertEquals(1, lines.length, "one line: " + r.err());
            assertTrue(lines[0].startsWith("diffusion4j: error: "), lines[0]);
            assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
            assertEquals("", r.out());
        }
        assertTrue(Cli.run("--bogus").err().contains("'--bogus'"));
        assertTrue(Cli.run("sample", "--steps", "many").err().contains("many"));
    }

    @Test
    void unknownCommandSuggestsTheClosestVerb() {
        Cli r = Cli.run("smaple");
        assertEquals(2, r.exitCode());
        assertEquals(1, r.errLines().length, r.err());
        assertTrue(r.err().contains("unknown command 'smaple'") && r.err().contains("did you mean sample"), r.err());
    }

    @Test
    void missingFileIsNonZeroAndNamesTheFile() {
        Path missing = dir.resolve("no-such-model.safetensors");
        Cli r = Cli.run("info", missing.toString());
        assertNotEquals(0, r.exitCode());
        assertEquals(1, r.errLines().length, r.err());
        assertTrue(r.err().contains(missing.toString()), r.err());
        assertFalse(r.err().contains("\tat "), r.err());

        Path image = dir.resolve("missing.png");
        r = Cli.run("forward", "--image", image.toString(), "--out", dir.resolve("o.png").toString());
        assertNotEquals(0, r.exitCode());
        assertTrue(r.err().contains("missing.png"), r.err());
    }

    @Test
    void verbosePrintsTheStackTrace() {
        Cli r = Cli.run("--verbose", "info", dir.resolve("nope.npy").toString());
        assertNotEquals(0, r.exitCode());
        assertTrue(r.errLines()[0].startsWith("diffusion4j: error: "), r.err());
        assertTrue(r.err().contains("\tat "), "stack trace with --verbose: " + r.err());
    }

    @Test
    void controlCharactersInArgumentsCannotBreakTheOneLineError() {
        Cli r = Cli.run("forward", "--image", "x.png", "--t", "1\u001b[2J\n2");
        assertEquals(2, r.exitCode());
        assertEquals(1, r.errLines().length, r.err());
        assertFalse(r.err().contains("\u001b"), r.err());
        assertTrue(r.err().contains("\\u001b[2J"), r.err());
    }

    @Test
    void noArgumentsPrintsUsage() {
        Cli r = Cli.run();
        assertEquals(0, r.exitCode());
        assertTrue(r.out().contains("Usage: diffusion4j"), r.out());
    }
}
