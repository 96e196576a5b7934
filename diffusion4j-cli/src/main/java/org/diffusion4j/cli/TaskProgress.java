package org.diffusion4j.cli;

import java.io.PrintStream;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** A me.tongfei progress bar on stderr for a counted task (e.g. network calls), or nothing off a terminal. */
final class TaskProgress implements AutoCloseable {

    private final ProgressBar bar;

    private TaskProgress(ProgressBar bar) {
        this.bar = bar;
    }

    /** Whether bars are shown: on a terminal, unless the user said {@code --no-progress}. */
    static boolean enabled(boolean noProgress) {
        return !noProgress && System.console() != null;
    }

    /** A bar of {@code total} units, or a silent one when {@code show} is false. */
    static TaskProgress open(boolean show, String task, long total, String unit) {
        if (!show) {
            return new TaskProgress(null);
        }
        return new TaskProgress(new ProgressBarBuilder()
                .setTaskName(task)
                .setInitialMax(total)
                .setUnit(" " + unit, 1)
                .setStyle(ProgressBarStyle.ASCII)
                .setConsumer(new ConsoleProgressBarConsumer(new PrintStream(System.err, true)))
                .setUpdateIntervalMillis(250)
                .build());
    }

    void step() {
        if (bar != null) {
            bar.step();
        }
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
        }
    }
}
