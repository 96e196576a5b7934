package org.diffusion4j.spark;

/**
 * What went wrong on an executor, in words that name the host, the file and the fix (a model folder the
 * executor cannot read, …). It travels to the driver as the cause of Spark's job failure, where
 * {@link SparkSampling#run} rethrows it as the job's error.
 */
public final class ExecutorFailure extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public ExecutorFailure(String message, Throwable cause) {
        super(message, cause);
    }
}
