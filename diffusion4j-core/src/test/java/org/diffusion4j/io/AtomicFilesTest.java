package org.diffusion4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {

    @TempDir Path dir;

    @Test
    void replacesTheTarget() throws Exception {
        Path p = dir.resolve("a.json");
        AtomicFiles.writeString(p, "old");
        AtomicFiles.writeString(p, "new");
        assertEquals("new", Files.readString(p));
    }

    @Test
    void newFilesAreWorldReadableAndReplacedFilesKeepTheirMode() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(dir.getFileSystem().supportedFileAttributeViews().contains("posix"));
        Path p = dir.resolve("new.png");
        AtomicFiles.writeString(p, "x");
        assertEquals("rw-r--r--", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(p)));
        Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString("rw-rw----"));
        AtomicFiles.writeString(p, "y");
        assertEquals("rw-rw----", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(p)));
    }

    @Test
    void aWriterThatFailsHalfwayLeavesTheOldFileAndNoTemporary() throws Exception {
        Path p = dir.resolve("a.json");
        AtomicFiles.writeString(p, "good");
        assertThrows(IOException.class, () -> AtomicFiles.write(p, out -> {
            out.write("partial".getBytes());
            throw new IOException("disk full");
        }));
        assertEquals("good", Files.readString(p));
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count());
        }
    }

    @Test
    void aReadOnlyFolderFailsLoudlyAndKeepsTheFile() throws Exception {
        Path p = dir.resolve("a.json");
        AtomicFiles.writeString(p, "good");
        dir.toFile().setWritable(false);
        try {
            org.junit.jupiter.api.Assumptions.assumeFalse(Files.isWritable(dir), "running as a user who can write anyway");
            assertThrows(IOException.class, () -> AtomicFiles.writeString(p, "new"));
            assertEquals("good", Files.readString(p));
        } finally {
            dir.toFile().setWritable(true);
        }
    }
}
