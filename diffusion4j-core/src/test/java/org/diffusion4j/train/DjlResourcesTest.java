package org.diffusion4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

/** The soak test's instrument counts what is alive, and only that. */
class DjlResourcesTest {

    @Test
    void countsLiveArraysAndManagersRecursively() {
        try (NDManager base = NDManager.newBaseManager()) {
            DjlResources.Counts before = DjlResources.count(base.getParentManager());
            assertEquals(new DjlResources.Counts(0, 0, 0), DjlResources.count(base));
            base.zeros(new Shape(2));
            NDManager sub = base.newSubManager();
            sub.ones(new Shape(3));
            sub.newSubManager().ones(new Shape(1)).add(1); // two arrays in a sub-sub-manager
            assertEquals(new DjlResources.Counts(4, 2, 0), DjlResources.count(base));
            DjlResources.Counts all = DjlResources.count(base.getParentManager());
            assertEquals(before.arrays() + 4, all.arrays());
            assertEquals(before.managers() + 2, all.managers());
            sub.close();
            assertEquals(new DjlResources.Counts(1, 0, 0), DjlResources.count(base));
        }
    }
}
