package org.diffusion4j.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.diffusion4j.cli.studio.ServedModels;
import org.diffusion4j.cli.studio.StudioConfig;
import org.diffusion4j.cli.studio.StudioServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code diffusion4j serve}: diffusion4j studio, a local web page for sampling with live progress. */
@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Serve diffusion4j studio: a web page to sample with live progress (Ctrl-C stops it).",
            "",
            "  diffusion4j serve                                  # the bundled models on http://127.0.0.1:7860/",
            "  diffusion4j serve --models runs/my-model --port 8080",
            ""})
final class ServeCommand implements Callable<Integer> {

    @Option(names = "--models", arity = "1..*", paramLabel = "DIR",
            description = "Model folders, or folders of model folders, to serve (default: <repo>/models).")
    List<Path> models;

    @Option(names = "--port", defaultValue = "7860", paramLabel = "PORT", description = "TCP port; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--host", defaultValue = StudioConfig.LOOPBACK, paramLabel = "ADDRESS",
            description = "Address to listen on (default: ${DEFAULT-VALUE}, this machine only). Anything else lets others use the server.")
    String host;

    @Option(names = "--queue", defaultValue = "8", paramLabel = "N", description = "Jobs that may wait behind the running one; more are refused with 429 (default: ${DEFAULT-VALUE}).")
    int queue;

    @Option(names = "--max-images", defaultValue = "16", paramLabel = "N", description = "Most images per job (default: ${DEFAULT-VALUE}).")
    int maxImages;

    @Option(names = "--max-steps", defaultValue = "1000", paramLabel = "N", description = "Most sampling steps per job (default: ${DEFAULT-VALUE}).")
    int maxSteps;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException, InterruptedException {
        StudioConfig config;
        try {
            config = StudioConfig.defaults().withAddress(host, port).withLimits(queue, maxImages, maxSteps);
            if (!InetAddress.getByName(host).isLoopbackAddress()) {
                spec.commandLine().getErr().println("diffusion4j: warning: serving on " + host + ": anyone who can reach this "
                        + "machine can use the page and its CPU (there is no login); use --host 127.0.0.1 to keep it local");
            }
        } catch (IllegalArgumentException | UnknownHostException e) {
            throw new ParameterException(spec.commandLine(), e instanceof UnknownHostException ? "--host " + host + ": unknown host" : e.getMessage());
        }
        List<Path> dirs = models != null ? models : List.of(RepoRoot.find().resolve("models"));
        ServedModels served;
        try {
            served = ServedModels.load(dirs);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        try (served) {
            StudioServer server;
            try {
                server = StudioServer.start(config, served, VersionProvider.projectVersion(), new PrintStream(System.err, true));
            } catch (java.net.BindException e) {
                throw new IOException("cannot listen on " + host + ":" + port + " (" + e.getMessage() + "); choose another --port", e);
            }
            CountDownLatch stopped = new CountDownLatch(1);
            Thread hook = new Thread(() -> {
                server.close();
                stopped.countDown();
            }, "studio-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            PrintWriter out = spec.commandLine().getOut();
            out.println("diffusion4j studio: " + server.url() + " serving " + served.names().size() + " model"
                    + (served.names().size() == 1 ? "" : "s") + " (" + String.join(", ", served.names()) + "); Ctrl-C stops it");
            out.flush();
            stopped.await();
        }
        return 0;
    }
}
