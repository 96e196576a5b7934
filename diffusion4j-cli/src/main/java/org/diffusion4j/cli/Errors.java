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
        return oneLine(String.join(": ", parts));
    }

    /** Line breaks become spaces, other control characters \\uXXXX, and the text is cut at {@value #MAX_LENGTH} characters. */
    static String oneLine(String text) {
        StringBuilder b = new StringBuilder(Math.min(text.length(), MAX_LENGTH + 16));
        for (int i = 0; i < text.length() && b.length() < MAX_LENGTH; i++) {
            char c = text.charAt(i);
            if (c == '\n' || c == '\r' || c == '\t') {
                b.append(' ');
            } else if (Character.isISOControl(c) || Character.getType(c) == Character.FORMAT) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        if (b.length() >= MAX_LENGTH && text.length() > MAX_LENGTH) {
            b.append(" …");
        }
        return b.toString();
    }

    /** The longest error line printed. */
    static final int MAX_LENGTH = 1000;

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
