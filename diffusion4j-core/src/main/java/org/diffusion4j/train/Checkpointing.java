package org.diffusion4j.train;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.diffusion4j.diffusers.ModelFolder;
import org.diffusion4j.io.AtomicFiles;
import org.diffusion4j.io.CheckpointException;

/**
 * The training checkpoints of a model folder, {@code training/step-N/}: writing, the manifest that
 * seals each one, the fallback past damaged ones on resume, and rotation.
 *
 * <p>A checkpoint is assembled in a hidden staging folder {@code training/.step-N.*}; its
 * {@link CheckpointManifest} (size and SHA-256 of every file) is written last, and only then is the
 * folder renamed to {@code step-N}. A failed write (disk full, read-only folder) throws and removes
 * the staging folder; the checkpoints already there are never touched. A checkpoint is good when it
 * matches its manifest and the manifest lists every required file.
 */
public final class Checkpointing {

    private static final Pattern CHECKPOINT_NAME = Pattern.compile("step-(\\d{1,18})");

    /** A training checkpoint folder {@code training/step-N}. */
    public record Checkpoint(long step, Path dir) {}

    /** Writes the files of a checkpoint into the (staging) folder it is given. */
    @FunctionalInterface
    public interface Writer {
        void write(Path dir) throws IOException;
    }

    private final ModelFolder folder;
    private final List<String> required;

    /** The checkpoints of {@code folder}; a good one lists every file of {@code required}. */
    public Checkpointing(ModelFolder folder, List<String> required) {
        this.folder = folder;
        this.required = List.copyOf(required);
    }

    /** The checkpoints of a {@link DiffusionTrainer} in {@code folder} (which need {@link TrainingCheckpoint#REQUIRED}). */
    public static Checkpointing of(ModelFolder folder) {
        return new Checkpointing(folder, TrainingCheckpoint.REQUIRED);
    }

    public ModelFolder folder() {
        return folder;
    }

    /**
     * Writes checkpoint {@code step}: {@code writer} fills a hidden staging folder, the manifest is
     * written last, then the folder is renamed to {@code training/step-N} (replacing an older
     * {@code step-N}, if any).
     *
     * @return the checkpoint folder
     * @throws CheckpointException when anything fails; the staging folder is removed and the
     *     existing checkpoints are untouched
     */
    public Path write(long step, Writer writer) throws IOException {
        Path target = folder.checkpointDir(step);
        Path staging = null;
        try {
            Files.createDirectories(folder.trainingDir());
            staging = Files.createTempDirectory(folder.trainingDir(), ".step-" + step + ".");
            writer.write(staging);
            CheckpointManifest.describe(staging, step).write(staging);
            AtomicFiles.syncDirectory(staging);
            Path aside = null;
            if (Files.exists(target)) {
                aside = Files.createTempDirectory(folder.trainingDir(), ".step-" + step + ".old.");
                Files.delete(aside);
                move(target, aside);
            }
            move(staging, target);
            AtomicFiles.syncDirectory(folder.trainingDir());
            staging = null;
            if (aside != null) {
                ModelFolder.deleteRecursively(aside);
            }
            return target;
        } catch (IOException | RuntimeException e) {
            if (staging != null) {
                try {
                    ModelFolder.deleteRecursively(staging);
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            if (e instanceof CheckpointException ce) {
                throw ce;
            }
            throw new CheckpointException("could not write checkpoint " + target + ": " + e
                    + "; the existing checkpoints are untouched (is the disk full or the folder read-only?)", e);
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to);
        }
    }

    /** The {@code training/step-N} folders, newest (highest N) first; their contents are not checked. */
    public List<Checkpoint> list() throws IOException {
        List<Checkpoint> out = new ArrayList<>();
        if (!Files.isDirectory(folder.trainingDir())) {
            return out;
        }
        try (Stream<Path> s = Files.list(folder.trainingDir())) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Matcher m = CHECKPOINT_NAME.matcher(p.getFileName().toString());
                if (m.matches() && Files.isDirectory(p)) {
                    out.add(new Checkpoint(Long.parseLong(m.group(1)), p));
                }
            }
        }
        out.sort(Comparator.comparingLong(Checkpoint::step).reversed());
        return out;
    }

    /**
     * Checks a checkpoint against its manifest (present, readable, step, sizes, SHA-256 of every
     * file, and every name in {@code required} listed).
     */
    public void verify(Checkpoint c) throws IOException {
        CheckpointManifest.read(c.dir()).verify(c.dir(), c.step(), required);
    }

    /**
     * The newest checkpoint that passes {@link #verify}. Every newer one that fails is
     * reported to {@code warnings} with the reason, and skipped.
     */
    public Optional<Checkpoint> newestGood(Consumer<String> warnings) throws IOException {
        List<Checkpoint> all = list();
        for (int i = 0; i < all.size(); i++) {
            Checkpoint c = all.get(i);
            try {
                verify(c);
                return Optional.of(c);
            } catch (CheckpointException e) {
                String next = i + 1 < all.size() ? "falling back to the previous one, step " + all.get(i + 1).step()
                        : "no older checkpoint is left";
                warnings.accept("checkpoint " + c.dir() + " is not usable and is skipped: " + e.getMessage() + "; " + next);
            }
        }
        return Optional.empty();
    }

    /**
     * Keeps the {@code keepLast} newest good checkpoints (those that {@link #verify}: a damaged one never
     * counts, so a fallback can never leave only damaged ones) and deletes every
     * checkpoint folder older than the oldest kept one, plus what interrupted writes left behind:
     * staging folders in {@code training/} and {@link AtomicFiles} temporaries in the root,
     * {@code unet/} and {@code scheduler/}.
     *
     * @return the folders deleted
     */
    public List<Path> prune(int keepLast) throws IOException {
        if (keepLast < 1) {
            throw new IllegalArgumentException("keep_last must be at least 1, got " + keepLast);
        }
        List<Path> deleted = new ArrayList<>();
        int sealed = 0; // good checkpoints kept so far
        long oldestKept = Long.MIN_VALUE;
        for (Checkpoint c : list()) {
            if (sealed < keepLast) {
                if (isGood(c)) {
                    sealed++;
                    oldestKept = c.step();
                }
            } else if (c.step() < oldestKept) {
                ModelFolder.deleteRecursively(c.dir());
                deleted.add(c.dir());
            }
        }
        if (Files.isDirectory(folder.trainingDir())) {
            try (Stream<Path> s = Files.list(folder.trainingDir())) {
                for (Path p : (Iterable<Path>) s::iterator) {
                    if (p.getFileName().toString().startsWith(".step-")) {
                        ModelFolder.deleteRecursively(p);
                        deleted.add(p);
                    }
                }
            }
        }
        for (Path dir : List.of(folder.root(), folder.unetDir(), folder.schedulerConfigFile().getParent())) {
            if (Files.isDirectory(dir)) {
                try (Stream<Path> s = Files.list(dir)) {
                    for (Path p : (Iterable<Path>) s::iterator) {
                        if (AtomicFiles.isTemporary(p) && Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                            Files.deleteIfExists(p);
                            deleted.add(p);
                        }
                    }
                }
            }
        }
        return deleted;
    }

    private boolean isGood(Checkpoint c) throws IOException {
        try {
            verify(c);
            return true;
        } catch (CheckpointException e) {
            return false;
        }
    }
}
