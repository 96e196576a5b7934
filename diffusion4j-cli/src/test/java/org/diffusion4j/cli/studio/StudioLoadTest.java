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
            double maxMillis, double postP50Millis, double postP95Millis, double seconds, long heapBeforeMb, long heapAfterMb,
            long rssBeforeMb, List<Long> rssAfterRoundsMb) {

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%d clients x %d jobs: %d submitted, %d done, %d images fetched, %d lost; "
                    + "time to first event p50 %.1f ms, p95 %.1f ms, max %.1f ms (of which POST answered: p50 %.1f ms, p95 %.1f ms); %.1f s in all (%.2f jobs/s); "
                    + "heap after GC %d -> %d MB, RSS %d MB before, after each round %s MB", clients, jobs, submitted, done, imagesFetched, lost, p50Millis,
                    p95Millis, maxMillis, postP50Millis, postP95Millis, seconds, done / seconds, heapBeforeMb, heapAfterMb, rssBeforeMb, rssAfterRoundsMb);
        }
    }

    @Test
    void concurrentClientsAreAllAnsweredAndNothingIsLost() throws Exception {
        int clients = Integer.getInteger("studio.load.clients", 4);
        int jobs = Integer.getInteger("studio.load.jobs", 2);
        int rounds = Integer.getInteger("studio.load.rounds", 1);
        String job = System.getProperty("studio.load.job", "{\"model\": \"tiny-class\", \"steps\": 5, \"n\": 2}");
        Path models = StudioServerTest.tinyModels(dir);
        try (ServedModels served = ServedModels.load(List.of(models))) {
            Result r = run(served, clients, jobs, job, rounds);
            System.out.println("studio load: " + r + "; job " + job);
            assertEquals(rounds * clients * jobs, r.submitted(), r.toString());
            assertEquals(rounds * clients * jobs, r.done(), r.toString());
            assertEquals(0, r.lost(), r.toString());
            assertTrue(r.imagesFetched() >= r.done(), r.toString());
        }
    }

    /** What the clients saw, shared by their threads. */
    private record Tally(List<Double> firstEvent, List<Double> accepted, AtomicInteger submitted, AtomicInteger done,
            AtomicInteger images) {

        Tally() {
            this(Collections.synchronizedList(new ArrayList<>()), Collections.synchronizedList(new ArrayList<>()), new AtomicInteger(),
                    new AtomicInteger(), new AtomicInteger());
        }
    }

    /** Runs the load {@code rounds} times against a fresh server whose queue holds every client's job. */
    static Result run(ServedModels models, int clients, int jobs, String job, int rounds) throws Exception {
        StudioConfig config = StudioConfig.defaults().withAddress("127.0.0.1", 0).withLimits(Math.max(8, clients), 16, 1000)
                .withMaxStreams(Math.max(32, clients + 4));
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try (StudioServer server = StudioServer.start(config, models, "load", System.err)) {
            StudioClient warm = new StudioClient(server);
            StudioClient.last(warm.events(warm.submit(job)));   // the first job pays for JIT and native warm-up
            long heapBefore = heapAfterGc();
            long rssBefore = rssMb();
            Tally t = new Tally();
            List<Long> rss = new ArrayList<>();
            long t0 = System.nanoTime();
            for (int round = 0; round < rounds; round++) {
                List<Future<?>> futures = new ArrayList<>();
                for (int c = 0; c < clients; c++) {
                    futures.add(pool.submit(() -> client(server, jobs, job, t)));
                }
                for (Future<?> f : futures) {
                    f.get();
                }
                System.gc();
                rss.add(rssMb());
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            List<Double> first = sorted(t.firstEvent());
            List<Double> posts = sorted(t.accepted());
            return new Result(clients, jobs, t.submitted().get(), t.done().get(), t.images().get(), t.submitted().get() - t.done().get(),
                    percentile(first, 0.5), percentile(first, 0.95), first.get(first.size() - 1), percentile(posts, 0.5),
                    percentile(posts, 0.95), seconds, heapBefore, heapAfterGc(), rssBefore, rss);
        } finally {
            pool.shutdown();
        }
    }

    /** One client: submits its jobs one after the other, follows each to its end and fetches its images. */
    private static Void client(StudioServer server, int jobs, String job, Tally t) throws Exception {
        StudioClient client = new StudioClient(server);
        for (int j = 0; j < jobs; j++) {
            long start = System.nanoTime();
            String id = client.submit(job);
            t.accepted().add((System.nanoTime() - start) / 1e6);
            t.submitted().incrementAndGet();
            List<StudioClient.Event> events = client.events(id);
            t.firstEvent().add((events.get(0).nanos() - start) / 1e6);
            StudioClient.Event end = StudioClient.last(events);
            if (end.name().equals("done")) {
                t.done().incrementAndGet();
                for (var url : end.data().getAsJsonArray("images")) {
                    HttpResponse<byte[]> png = client.bytes(url.getAsString());
                    if (png.statusCode() == 200 && png.body().length > 8 && png.body()[1] == 'P') {
                        t.images().incrementAndGet();
                    }
                }
            }
        }
        return null;
    }

    private static List<Double> sorted(List<Double> values) {
        List<Double> s = new ArrayList<>(values);
        Collections.sort(s);
        return s;
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
