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
 * <p>A slice of a table of requests ({@link #ofRequests}) carries its rows' seed and conditions: image
 * {@code first + j} takes {@code prompts[j]} or {@code classes[j]}.
 *
 * @param first the global index of the first image
 * @param count images, 1 ≤ count ≤ the batch size
 * @param seed the seed of these images, or null for the run's
 * @param prompts the prompt of each image (text models, from a table), or null for the run's
 * @param classes the class of each image (class models, from a table), or null for the run's
 */
public record Slice(int first, int count, Long seed, List<String> prompts, List<Long> classes) implements Serializable {

    public Slice {
        if (first < 0 || count < 1) {
            throw new IllegalArgumentException("a slice needs first >= 0 and count >= 1, got [" + first + ", +" + count + ")");
        }
        if (prompts != null && prompts.size() != count || classes != null && classes.size() != count) {
            throw new IllegalArgumentException("a slice of " + count + " images needs one prompt or class per image");
        }
        prompts = prompts == null ? null : List.copyOf(prompts);
        classes = classes == null ? null : List.copyOf(classes);
    }

    /** Images [first, first + count) of the run's request. */
    public Slice(int first, int count) {
        this(first, count, null, null, null);
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

    /**
     * The slices of a table of requests (sorted by index, as {@link RequestTable} returns it). The rows are grouped by
     * their seed (their own, else {@code runSeed}); within a seed, the rows whose indices are consecutive and fall in one
     * cell [kB, (k + 1)B) of the batch grid make one slice — one network call, as {@code diffusion4j sample --batch B}
     * makes that batch. So a table of indices 0 … n − 1 and one seed is cut exactly as {@link #grid}.
     */
    public static List<Slice> ofRequests(List<Request> requests, long runSeed, int batch) {
        if (batch < 1) {
            throw new IllegalArgumentException("--batch must be at least 1, got " + batch);
        }
        java.util.TreeMap<Long, List<Request>> bySeed = new java.util.TreeMap<>();
        for (Request r : requests) {
            bySeed.computeIfAbsent(r.seedOr(runSeed), s -> new ArrayList<>()).add(r);
        }
        List<Slice> out = new ArrayList<>();
        for (var e : bySeed.entrySet()) {
            List<Request> rows = new ArrayList<>(e.getValue());
            rows.sort(java.util.Comparator.comparingInt(Request::index));
            Long seed = e.getKey() == runSeed ? null : e.getKey();
            int from = 0;
            while (from < rows.size()) {
                int to = from + 1;
                int cell = rows.get(from).index() / batch;
                while (to < rows.size() && rows.get(to).index() == rows.get(to - 1).index() + 1 && rows.get(to).index() / batch == cell) {
                    to++;
                }
                List<Request> run = rows.subList(from, to);
                boolean text = run.get(0).prompt() != null;
                boolean classes = run.get(0).classId() != null;
                out.add(new Slice(run.get(0).index(), run.size(), seed, text ? run.stream().map(Request::prompt).toList() : null,
                        classes ? run.stream().map(Request::classId).toList() : null));
                from = to;
            }
        }
        out.sort(java.util.Comparator.comparingInt(Slice::first));
        return out;
    }

    /** One past the last image. */
    public int end() {
        return first + count;
    }

    /**
     * The values of this slice as a request's cycled list: image i of a request takes {@code values[i mod m]}, so image
     * {@code first + j} must find {@code values[j]} at position {@code (first + j) mod count}.
     */
    static <T> List<T> rotated(List<T> values, int first) {
        int m = values.size();
        List<T> out = new ArrayList<>(m);
        for (int k = 0; k < m; k++) {
            out.add(values.get(Math.floorMod(k - first, m)));
        }
        return out;
    }
}
