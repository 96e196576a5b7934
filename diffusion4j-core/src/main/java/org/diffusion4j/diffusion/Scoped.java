package org.diffusion4j.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import java.util.function.Supplier;

/**
 * Runs a computation in its own {@link NDScope} so that its intermediates are freed on return,
 * while its results behave like those of a single DJL op: they live in the manager that created
 * them and are registered with the caller's enclosing scope, if any. A result that is one of the
 * inputs (e.g. an x₀-model's output returned as x̂₀) is left exactly as it was.
 */
final class Scoped {

    private Scoped() {}

    static NDArray run(Supplier<NDArray> body, NDArray... inputs) {
        return runAll(() -> new NDArray[] {body.get()}, inputs)[0];
    }

    static NDArray[] runAll(Supplier<NDArray[]> body, NDArray... inputs) {
        NDArray[] results;
        try (NDScope scope = new NDScope()) {
            results = body.get();
            NDScope.unregister(results);
        }
        for (NDArray r : results) {
            if (!isInput(r, inputs)) {
                NDScope.register(r);
            }
        }
        return results;
    }

    private static boolean isInput(NDArray r, NDArray[] inputs) {
        for (NDArray in : inputs) {
            if (in == r) {
                return true;
            }
        }
        return false;
    }
}
