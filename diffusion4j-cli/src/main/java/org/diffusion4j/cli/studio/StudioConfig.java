package org.diffusion4j.cli.studio;

/**
 * The limits and timings of a studio server. {@link #defaults()} is what {@code diffusion4j serve} uses;
 * tests shorten the timings.
 *
 * @param host the address to bind (127.0.0.1 unless the user says otherwise)
 * @param port the TCP port; 0 picks a free one
 * @param queue the most jobs waiting behind the running one; one more is answered 429
 * @param maxImages the most images of one job (field {@code n})
 * @param maxSteps the most sampling steps of one job
 * @param maxPromptChars the longest prompt or negative prompt, in characters
 * @param maxBodyBytes the largest request body; a larger one is answered 413
 * @param maxStreams the most event streams open at once; one more is answered 503
 * @param keptJobs finished jobs (and their images) kept in memory; older ones are forgotten
 * @param heartbeatMillis an idle event stream sends a comment this often (this is how a closed client is noticed)
 * @param disconnectGraceMillis a job whose last event stream closed is cancelled after this long unless a client reconnects
 * @param unwatchedMillis a job whose events nobody has opened within this long is cancelled
 */
public record StudioConfig(String host, int port, int queue, int maxImages, int maxSteps, int maxPromptChars, int maxBodyBytes,
        int maxStreams, int keptJobs, long heartbeatMillis, long disconnectGraceMillis, long unwatchedMillis) {

    /** The loopback address the server binds unless told otherwise. */
    public static final String LOOPBACK = "127.0.0.1";

    /** The most images a job may be allowed (image ids carry a three-digit index). */
    public static final int MAX_IMAGES = 999;

    public StudioConfig {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("--port must be in [0, 65535], got " + port);
        }
        if (queue < 1) {
            throw new IllegalArgumentException("--queue must be at least 1, got " + queue);
        }
        if (maxImages < 1 || maxImages > MAX_IMAGES) {
            throw new IllegalArgumentException("--max-images must be in [1, " + MAX_IMAGES + "], got " + maxImages);
        }
        if (maxSteps < 1) {
            throw new IllegalArgumentException("--max-steps must be at least 1, got " + maxSteps);
        }
    }

    /** Port 7860 on 127.0.0.1, 8 queued jobs, 16 images and 1000 steps per job. */
    public static StudioConfig defaults() {
        return new StudioConfig(LOOPBACK, 7860, 8, 16, 1000, 500, 16 * 1024, 32, 64, 1000, 5000, 60_000);
    }

    public StudioConfig withAddress(String host, int port) {
        return new StudioConfig(host, port, queue, maxImages, maxSteps, maxPromptChars, maxBodyBytes, maxStreams, keptJobs,
                heartbeatMillis, disconnectGraceMillis, unwatchedMillis);
    }

    public StudioConfig withLimits(int queue, int maxImages, int maxSteps) {
        return new StudioConfig(host, port, queue, maxImages, maxSteps, maxPromptChars, maxBodyBytes, maxStreams, keptJobs,
                heartbeatMillis, disconnectGraceMillis, unwatchedMillis);
    }

    public StudioConfig withTimings(long heartbeatMillis, long disconnectGraceMillis, long unwatchedMillis) {
        return new StudioConfig(host, port, queue, maxImages, maxSteps, maxPromptChars, maxBodyBytes, maxStreams, keptJobs,
                heartbeatMillis, disconnectGraceMillis, unwatchedMillis);
    }

    public StudioConfig withMaxStreams(int maxStreams) {
        return new StudioConfig(host, port, queue, maxImages, maxSteps, maxPromptChars, maxBodyBytes, maxStreams, keptJobs,
                heartbeatMillis, disconnectGraceMillis, unwatchedMillis);
    }
}
