package org.diffusion4j.train;

/**
 * Training stopped because too many consecutive steps had a non-finite loss or gradient. The
 * message says where, why, which checkpoint is intact and what to change.
 */
public class TrainingDivergedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public TrainingDivergedException(String message) {
        super(message);
    }
}
