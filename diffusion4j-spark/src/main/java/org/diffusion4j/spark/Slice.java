package org.diffusion4j.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * One unit of work: images [first, first + count) of a request, one batch of the single-machine run's batch
 * grid ([0, B), [B, 2B), …). Work is cut on that grid, never inside a batch, because the network's kernels
 * round a batch of another size differently (by an ulp): cut this way every network call sees exactly the
 * images it sees in {@code diffusion4j sample}, and the floats — not only the PNG bytes — are the same.
 *
 * @param first the global index of the first image
 * @param count images, 1 ≤ count ≤ the batch size
 */
public record Slice(int first, int count) implements Serializable {

    public Slice {
        if (first < 0 || count < 1) {
            throw new IllegalArgumentException("a slice needs first >= 0 and count >= 1, got [" + first + ", +" + count + ")");
        }
    }

    /** The batches of n images of {@code batch} each, in order (the last one may be short). */
    public static List<Slice> grid(int n, int batch) {
        if (n < 1 || batch < 1) {
            throw new IllegalArgumentException("-n and --batch must be at least 1, got " + n + " and " + batch);
        }
        List<Slice> out = new ArrayList<>((n + batch - 1) / batch);
        for (int first = 0; first < n; first += batch) {
            out.add(new Slice(first, Math.min(batch, n - first)));
        }
        return out;
    }

    /** One past the last image. */
    public int end() {
        return first + count;
    }
}
