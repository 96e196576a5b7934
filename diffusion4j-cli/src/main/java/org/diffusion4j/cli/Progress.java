package org.diffusion4j.cli;

import ai.djl.ndarray.NDArray;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.Locale;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.diffusion4j.pipeline.SampleListener;

/** Progress over denoising steps of all batches, with images per second. */
interface Progress {

    /** Shows nothing. */
    Progress NONE = new Progress() {
        @Override
        public void start(int images, int batches) {}

        @Override
        public void step(int step, int total, int batchImages) {}

        @Override
        public void close() {}
    };

    /** Called once before sampling. */
    void start(int images, int batches);

    /** Called after step {@code step} (0-based) of {@code total} of the current batch. */
    void step(int step, int total, int batchImages);

    void close();

    /** The pipeline listener that drives this progress and, when not null, captures {@code trajectory}. */
    default SampleListener listener(Trajectory trajectory) {
        Progress progress = this;
        return new SampleListener() {
            @Override
            public void started(int images, int batches) {
                progress.start(images, batches);
            }

            @Override
            public void step(int batch, int from, int to, int step, int total, NDArray xt, NDArray x0) {
                if (trajectory != null) {
                    trajectory.capture(batch, step, total, xt, x0);
                }
                progress.step(step, total, to - from);
            }

            @Override
            public void finished() {
                progress.close();
            }
        };
    }

    /** Images per second, or seconds per image when that reads better (slow models). */
    static String rate(double images, double seconds) {
        if (images <= 0 || seconds <= 0) {
            return "";
        }
        double perSecond = images / seconds;
        return perSecond >= 1 ? String.format(Locale.ROOT, "%.1f images/s", perSecond)
                : String.format(Locale.ROOT, "%.1f s/image", 1 / perSecond);
    }

    /** A me.tongfei progress bar on stderr. */
    static Progress bar(PrintWriter errWriter) {
        return new Progress() {
            private ProgressBar bar;
            private int batches;
            private long startNanos;
            private double imagesDone;

            @Override
            public void start(int images, int batches) {
                this.batches = batches;
                this.startNanos = System.nanoTime();
            }

            @Override
            public void step(int step, int total, int batchImages) {
                if (bar == null) {
                    bar = new ProgressBarBuilder()
                            .setTaskName("sampling")
                            .setInitialMax((long) total * batches)
                            .setUnit(" steps", 1)
                            .setStyle(ProgressBarStyle.ASCII)
                            .setConsumer(new ConsoleProgressBarConsumer(new PrintStream(System.err, true)))
                            .setUpdateIntervalMillis(250)
                            .build();
                }
                imagesDone += (double) batchImages / total;
                double seconds = (System.nanoTime() - startNanos) / 1e9;
                bar.setExtraMessage(rate(imagesDone, seconds));
                bar.step();
            }

            @Override
            public void close() {
                if (bar != null) {
                    bar.close();
                }
            }
        };
    }
}
