package org.diffusion4j.cli.studio;

import java.util.List;

/**
 * One sampling job and what its event streams show: its state, its place in the queue, its latest step
 * (with the latest x₀ preview) and its result. The worker changes it; event streams wait for a change
 * ({@link #await}) and send what is new, so a slow client skips steps but never a state.
 */
final class Job {

    enum State {
        QUEUED, RUNNING, DONE, FAILED, CANCELLED;

        boolean finished() {
            return this == DONE || this == FAILED || this == CANCELLED;
        }
    }

    /**
     * What an event stream sends, as of one version of the job.
     *
     * @param steps steps done so far over all batches (increases by one per step)
     * @param previewSeq increases with every new preview
     */
    record Snapshot(long version, State state, int position, int images, int batches, int batch, int step, int of, long steps,
            double progress, double elapsed, String preview, long previewSeq, List<String> imageIds, double seconds, String error) {}

    final String id;
    final JobSpec spec;
    final long submittedNanos = System.nanoTime();

    private long version;
    private State state = State.QUEUED;
    private int position;
    private int images;
    private int batches = 1;
    private int batch;
    private int step = -1;
    private int of;
    private long steps;
    private double progress;
    private double elapsed;
    private String preview;
    private long previewSeq;
    private List<String> imageIds = List.of();
    private double seconds;
    private String error;
    private long startedNanos;
    private int subscribers;
    private boolean subscribed;
    private volatile boolean cancelRequested;
    private volatile String cancelReason;

    Job(String id, JobSpec spec) {
        this.id = id;
        this.spec = spec;
    }

    synchronized Snapshot snapshot() {
        return new Snapshot(version, state, position, images, batches, batch, step, of, steps, progress, elapsed, preview, previewSeq,
                imageIds, seconds, error);
    }

    /** The snapshot once the job has changed since {@code seen}, or the current one after {@code timeoutMillis}. */
    synchronized Snapshot await(long seen, long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
        long left = timeoutMillis;
        while (version == seen && left > 0) {
            wait(left);
            left = (deadline - System.nanoTime()) / 1_000_000;
        }
        return snapshot();
    }

    private void changed() {
        version++;
        notifyAll();
    }

    synchronized State state() {
        return state;
    }

    synchronized void queuedAt(int position) {
        if (state == State.QUEUED && this.position != position) {
            this.position = position;
            changed();
        }
    }

    /** Moves a queued job to running; false when it was cancelled meanwhile. */
    synchronized boolean start() {
        if (state != State.QUEUED || cancelRequested) {
            return false;
        }
        state = State.RUNNING;
        position = 0;
        startedNanos = System.nanoTime();
        changed();
        return true;
    }

    synchronized void sampling(int images, int batches) {
        this.images = images;
        this.batches = batches;
        changed();
    }

    /** Step {@code step} (0-based) of {@code of} of batch {@code batch} is done; {@code preview} is null unless a new one. */
    synchronized void stepped(int batch, int step, int of, String preview) {
        this.batch = batch;
        this.step = step;
        this.of = of;
        this.steps++;
        this.progress = (batch * (double) of + step + 1) / ((double) batches * of);
        this.elapsed = (System.nanoTime() - startedNanos) / 1e9;
        if (preview != null) {
            this.preview = preview;
            previewSeq++;
        }
        changed();
    }

    synchronized void done(List<String> imageIds) {
        this.imageIds = List.copyOf(imageIds);
        finish(State.DONE, null);
    }

    synchronized void failed(String message) {
        finish(State.FAILED, message);
    }

    /** Marks the job cancelled (a queued job at once; a running one when the worker stops it). */
    synchronized void cancelled(String why) {
        finish(State.CANCELLED, why);
    }

    private void finish(State s, String message) {
        if (state.finished()) {
            return;
        }
        state = s;
        error = message;
        seconds = startedNanos == 0 ? 0 : (System.nanoTime() - startedNanos) / 1e9;
        changed();
    }

    /** Asks the worker to stop this job between two steps, saying why. */
    void requestCancel(String why) {
        cancelReason = why;
        cancelRequested = true;
    }

    /** Why the job was asked to stop. */
    String cancelReason() {
        return cancelReason == null ? "cancelled" : cancelReason;
    }

    boolean cancelRequested() {
        return cancelRequested;
    }

    synchronized void subscribe() {
        subscribers++;
        subscribed = true;
    }

    /** One event stream less; true when none is left. */
    synchronized boolean unsubscribe() {
        subscribers--;
        return subscribers == 0;
    }

    synchronized int subscribers() {
        return subscribers;
    }

    synchronized boolean everSubscribed() {
        return subscribed;
    }
}
