package org.diffusion4j.cli.studio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * N clients, each submitting M jobs one after the other on a tiny model and following each to its end:
 * every job is answered (done), every image is fetched, and the time from submitting to the first event
 * is measured. Small by default (4 clients x 2 jobs); the README's figure comes from
 * {@code -Dstudio.load.clients=N -Dstudio.load.jobs=M}, which also prints heap and RSS before and after.
 */
class StudioLoadTest {

    @TempDir
    Path dir;

    /** What a run measured. */
    record Result(int clients, int jobs, int submitted, int done, int imagesFetched, int lost, double p50Millis, double p95Millis,
            double maxMillis, double postP50Millis, double postP95Millis, double seconds, long heapBeforeMb, long heapAfterMb, long rssBeforeMb, long rssAfterMb) {

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%d clients x %d jobs: %d submitted, %d done, %d images fetched, %d lost; "
                    + "time to first event p50 %.1f ms, p95 %.1f ms, max %.1f ms (of which POST answered: p50 %.1f ms, p95 %.1f ms); %.1f s in all (%.2f jobs/s); "
                    + "heap after GC %d -> %d MB, RSS %d -> %d MB", clients, jobs, submitted, done, imagesFetched, lost, p50Millis,
                    p95Millis, maxMillis, postP50Millis, postP95Millis, seconds, done / seconds, heapBeforeMb, heapAfterMb, rssBeforeMb, rssAfterMb);
        }
    }

    @Test
    void concurrentClientsAreAllAnsweredAndNothingIsLost() throws Exception {
        int clients = Integer.getInteger("studio.load.clients", 4);
        int jobs = Integer.getInteger("studio.load.jobs", 2);
        String job = System.getProperty("studio.load.job", "{\"model\": \"tiny-class\", \"steps\": 5, \"n\": 2}");
        Path models = StudioServerTest.tinyModels(dir);
        try (ServedModels served = ServedModels.load(List.of(models))) {
            Result r = run(served, clients, jobs, job);
            System.out.println("studio load: " + r + "; job " + job);
            assertEquals(clients * jobs, r.submitted(), r.toString());
            assertEquals(clients * jobs, r.done(), r.toString());
            assertEquals(0, r.lost(), r.toString());
            assertTrue(r.imagesFetched() >= r.done(), r.toString());
        }
    }

    /** Runs the load against a fresh server whose queue holds every client's job. */
    static Result run(ServedModels models, int clients, int jobs, String job) throws Exception {
        StudioConfig config = StudioConfig.defaults().withAddress("127.0.0.1", 0).withLimits(Math.max(8, clients), 16, 1000)
                .withMaxStreams(Math.max(32, clients + 4));
        try (StudioServer server = StudioServer.start(config, models, "load", System.err)) {
            StudioClient warm = new StudioClient(server);
            StudioClient.last(warm.events(warm.submit(job)));   // the first job pays for JIT and native warm-up
            long heapBefore = heapAfterGc();
            long rssBefore = rssMb();
            List<Double> firstEvent = Collections.synchronizedList(new ArrayList<>());
            List<Double> accepted = Collections.synchronizedList(new ArrayList<>());
            AtomicInteger submitted = new AtomicInteger();
            AtomicInteger done = new AtomicInteger();
            AtomicInteger images = new AtomicInteger();
            ExecutorService pool = Executors.newFixedThreadPool(clients);
            long t0 = System.nanoTime();
            List<Future<?>> futures = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                futures.add(pool.submit(() -> {
                    StudioClient client = new StudioClient(server);
                    for (int j = 0; j < jobs; j++) {
                        long start = System.nanoTime();
                        String id = client.submit(job);
                        accepted.add((System.nanoTime() - start) / 1e6);
                        submitted.incrementAndGet();
                        List<StudioClient.Event> events = client.events(id);
                        firstEvent.add((events.get(0).nanos() - start) / 1e6);
                        StudioClient.Event end = StudioClient.last(events);
                        if (end.name().equals("done")) {
                            done.incrementAndGet();
                            for (var url : end.data().getAsJsonArray("images")) {
                                HttpResponse<byte[]> png = client.bytes(url.getAsString());
                                if (png.statusCode() == 200 && png.body().length > 8 && png.body()[1] == 'P') {
                                    images.incrementAndGet();
                                }
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            pool.shutdown();
            List<Double> sorted = new ArrayList<>(firstEvent);
            Collections.sort(sorted);
            List<Double> posts = new ArrayList<>(accepted);
            Collections.sort(posts);
            return new Result(clients, jobs, submitted.get(), done.get(), images.get(), submitted.get() - done.get(),
                    percentile(sorted, 0.5), percentile(sorted, 0.95), sorted.get(sorted.size() - 1), percentile(posts, 0.5),
                    percentile(posts, 0.95), seconds, heapBefore,
                    heapAfterGc(), rssBefore, rssMb());
        }
    }

    static double percentile(List<Double> sorted, double p) {
        int i = (int) Math.ceil(p * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }

    static long heapAfterGc() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() >> 20;
    }

    static long rssMb() throws IOException {
        Path status = Path.of("/proc/self/status");
        if (!Files.isReadable(status)) {
            return -1;
        }
        for (String line : Files.readAllLines(status)) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", "")) >> 10;
            }
        }
        return -1;
    }
}
