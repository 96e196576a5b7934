package org.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code serve}'s refusals: one line, exit 2 for a bad option and 1 for a missing model, before anything listens. */
class ServeCommandTest {

    @TempDir
    Path dir;

    @Test
    void helpListsTheOptions() {
        Cli r = Cli.run("serve", "--help");
        assertEquals(0, r.exitCode());
        assertTrue(r.out().contains("--models") && r.out().contains("--port") && r.out().contains("--host"), r.out());
    }

    @Test
    void badOptionsAreOneLineUsageErrors() {
        for (String[] args : List.of(new String[] {"serve", "--port", "70000"}, new String[] {"serve", "--queue", "0"},
                new String[] {"serve", "--max-images", "0"}, new String[] {"serve", "--max-images", "1000"}, new String[] {"serve", "--host", "no-such-host.invalid"},
                new String[] {"serve", "--port", "many"})) {
            Cli r = Cli.run(args);
            assertEquals(2, r.exitCode(), String.join(" ", args) + ": " + r.err());
            assertEquals(1, r.errLines().length, r.err());
            assertTrue(r.err().startsWith(Main.ERROR_PREFIX), r.err());
        }
        assertTrue(Cli.run("serve", "--port", "70000").err().contains("--port must be in [0, 65535], got 70000"));
    }

    @Test
    void aMissingOrEmptyModelFolderIsRefused() throws Exception {
        Cli missing = Cli.run("serve", "--models", dir.resolve("nope").toString());
        assertEquals(1, missing.exitCode());
        assertEquals(1, missing.errLines().length, missing.err());
        assertTrue(missing.err().contains("no such model folder"), missing.err());
        Files.createDirectories(dir.resolve("empty"));
        Cli empty = Cli.run("serve", "--models", dir.resolve("empty").toString());
        assertEquals(1, empty.exitCode());
        assertTrue(empty.err().contains("neither a model folder (unet/config.json) nor a folder of model folders"), empty.err());
    }

    @Test
    void twoModelsWithOneNameAndABusyPortAreRefused() throws Exception {
        Path a = QualityFixtures.tinyModel(dir.resolve("a"), "same", 10);
        Path b = QualityFixtures.tinyModel(dir.resolve("b"), "same", 10);
        Cli twice = Cli.run("serve", "--models", a.toString(), b.toString());
        assertEquals(2, twice.exitCode(), twice.err());
        assertTrue(twice.err().contains("two models are named 'same'"), twice.err());
        try (ServerSocket busy = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Cli r = Cli.run("serve", "--models", a.toString(), "--port", Integer.toString(busy.getLocalPort()));
            assertEquals(1, r.exitCode(), r.err());
            assertEquals(1, r.errLines().length, r.err());
            assertTrue(r.err().contains("cannot listen on 127.0.0.1:" + busy.getLocalPort()) && r.err().contains("choose another --port"),
                    r.err());
        }
    }
}
