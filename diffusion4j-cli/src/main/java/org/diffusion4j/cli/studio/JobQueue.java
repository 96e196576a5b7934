package org.diffusion4j.cli.studio;

import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The jobs of a server: a bounded queue in front of one worker thread (the CPU is the limit, so one job
 * samples at a time), the finished jobs kept for their images, and the timers that cancel jobs nobody
 * watches any more.
 */
final class JobQueue implements AutoCloseable {

    private final StudioConfig config;
    private final Deque<Job> waiting = new ArrayDeque<>();
    private final Map<String, Job> jobs = new LinkedHashMap<>();
    private final Map<String, byte[]> images = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "studio-timer"));
    private final SecureRandom random = new SecureRandom();
    private final Thread worker;
    private Job running;
    private boolean closed;

    /** Starts the worker, which hands each job to {@code runner}. */
    JobQueue(StudioConfig config, JobRunner runner) {
        this.config = config;
        this.worker = daemon(() -> work(job -> runner.run(job, images::put)), "studio-worker");
        worker.start();
    }

    /**
     * Queues a job.
     *
     * @throws BadRequest 429 when {@link StudioConfig#queue()} jobs are already waiting
     */
    synchronized Job submit(JobSpec spec) {
        if (closed) {
            throw new BadRequest(503, null, "the server is shutting down");
        }
        if (waiting.size() >= config.queue()) {
            throw new BadRequest(429, null, "the queue is full (" + waiting.size() + " jobs wait behind the running one); "
                    + "try again when one has finished");
        }
        Job job = new Job(newId(), spec);
        jobs.put(job.id, job);
        waiting.add(job);
        job.queuedAt(waiting.size());
        notifyAll();
        later(() -> {
            if (!job.everSubscribed()) {
                cancel(job, "cancelled: nobody opened the job's events within " + config.unwatchedMillis() / 1000 + " s");
            }
        }, config.unwatchedMillis());
        return job;
    }

    synchronized Job get(String id) {
        return jobs.get(id);
    }

    /** The PNG bytes of image {@code id}, or null. */
    byte[] image(String id) {
        return images.get(id);
    }

    /** Cancels a queued job at once, a running one between two steps; a finished job stays as it is. */
    synchronized void cancel(Job job, String why) {
        if (waiting.remove(job)) {
            job.cancelled(why);
            renumber();
        } else if (job == running) {
            job.requestCancel(why);
        }
    }

    /** One event stream of {@code job} closed: with none left, the job is cancelled after the grace period. */
    void streamClosed(Job job) {
        if (job.unsubscribe() && !job.state().finished()) {
            later(() -> {
                if (job.subscribers() == 0) {
                    cancel(job, "cancelled: the client disconnected");
                }
            }, config.disconnectGraceMillis());
        }
    }

    /** Runs {@code task} after {@code millis}; nothing once the queue is closed (its jobs are cancelled then anyway). */
    private void later(Runnable task, long millis) {
        try {
            timers.schedule(task, millis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // closed
        }
    }

    /** Jobs waiting, not counting the running one. */
    synchronized int waitingCount() {
        return waiting.size();
    }

    private void work(Consumer<Job> runner) {
        while (true) {
            Job job;
            synchronized (this) {
                while (waiting.isEmpty() && !closed) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (closed) {
                    return;
                }
                job = waiting.poll();
                running = job;
                renumber();
            }
            try {
                if (job.start()) {
                    runner.accept(job);
                } else {
                    job.cancelled(job.cancelReason());
                }
            } finally {
                synchronized (this) {
                    running = null;
                    forgetOldJobs();
                }
            }
        }
    }

    private void renumber() {
        int i = 1;
        for (Job j : waiting) {
            j.queuedAt(i++);
        }
    }

    /** Keeps the newest {@link StudioConfig#keptJobs()} finished jobs and their images. */
    private void forgetOldJobs() {
        long finished = jobs.values().stream().filter(j -> j.state().finished()).count();
        for (Iterator<Job> it = jobs.values().iterator(); it.hasNext() && finished > config.keptJobs();) {
            Job j = it.next();
            if (j.state().finished()) {
                it.remove();
                finished--;
                j.snapshot().imageIds().forEach(images::remove);
            }
        }
    }

    private String newId() {
        byte[] b = new byte[8];
        random.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** Cancels every job and stops the worker (waiting for the running job to stop, at most 10 s). */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            for (Job j : waiting) {
                j.cancelled("cancelled: the server stopped");
            }
            waiting.clear();
            if (running != null) {
                running.requestCancel("cancelled: the server stopped");
            }
            notifyAll();
        }
        timers.shutdownNow();
        try {
            worker.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
