package org.diffusion4j.spark;

import java.io.Serializable;

/**
 * One row of a table of requests, checked against the model: image {@code index} of the run, with its prompt (text
 * models) or class (class models) and, optionally, a seed of its own.
 *
 * <p>Its randomness is that of image {@code index} of the single-machine pipeline with seed {@code seed} (else the
 * run's {@code --seed}): x_T is draw {@code index} of {@code NoiseSource.seeded(seed)} and the sampler noise is image
 * {@code index}'s own stream — so where and with whom the row is sampled changes nothing.
 *
 * @param index the image's index, ≥ 0, unique in the table; its file is {@code sample_<index>.png}
 * @param prompt the prompt of a text-conditional model, else null
 * @param classId the class id of a class-conditional model, else null
 * @param seed the row's own seed, or null for the run's
 */
public record Request(int index, String prompt, Long classId, Long seed) implements Serializable {

    public Request {
        if (index < 0) {
            throw new IllegalArgumentException("a request's index must be >= 0, got " + index);
        }
    }

    /** The seed this row is sampled with: its own, else {@code runSeed}. */
    public long seedOr(long runSeed) {
        return seed != null ? seed : runSeed;
    }
}
