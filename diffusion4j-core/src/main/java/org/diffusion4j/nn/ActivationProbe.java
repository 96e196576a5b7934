package org.diffusion4j.nn;

import ai.djl.ndarray.NDArray;

/**
 * Receives named intermediate activations during a forward pass (names as diffusers' module paths,
 * e.g. {@code "down_blocks.1.resnets.0"}), to localise a mismatch against reference activations.
 */
@FunctionalInterface
public interface ActivationProbe {

    ActivationProbe NONE = (name, value) -> { };

    void record(String name, NDArray value);
}
