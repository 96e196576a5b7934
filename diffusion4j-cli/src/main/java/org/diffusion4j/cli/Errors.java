package org.diffusion4j.cli;

import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.ArrayList;
import java.util.List;

/** Turns an exception into the one-line message a CLI user sees. */
final class Errors {

    private Errors() {}

    /** A one-line description: the exception's message and, where they add something, its causes'. */
    static String describe(Throwable t) {
        List<String> parts = new ArrayList<>();
        Throwable cur = t;
        for (int depth = 0; cur != null && depth < 4; depth++, cur = cur.getCause()) {
            if (cur instanceof UncheckedIOException && cur.getCause() != null) {
                continue;
            }
            String m = single(cur);
            if (m != null && parts.stream().noneMatch(p -> p.contains(m))) {
                parts.add(m);
            }
        }
        if (parts.isEmpty()) {
            parts.add(t.getClass().getSimpleName());
        }
        return String.join(": ", parts).replace('\n', ' ').replace('\r', ' ');
    }

    private static String single(Throwable t) {
        if (t instanceof FileSystemException f && f.getReason() == null) {
            String file = f.getFile();
            if (t instanceof NoSuchFileException) {
                return "no such file or folder: " + file;
            }
            if (t instanceof AccessDeniedException) {
                return "permission denied: " + file;
            }
            if (t instanceof FileAlreadyExistsException) {
                return "already exists: " + file;
            }
            if (t instanceof NotDirectoryException) {
                return "not a folder: " + file;
            }
            if (t instanceof DirectoryNotEmptyException) {
                return "folder not empty: " + file;
            }
        }
        String m = t.getMessage();
        if (m == null || m.isBlank()) {
            return t.getCause() == null ? t.getClass().getSimpleName() : null;
        }
        if (t instanceof OutOfMemoryError) {
            return "out of memory (" + m + "); use a smaller --batch";
        }
        return m.strip();
    }
}
