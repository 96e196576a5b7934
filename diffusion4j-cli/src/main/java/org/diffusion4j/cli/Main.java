package org.diffusion4j.cli;

import java.io.PrintWriter;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;
import picocli.CommandLine.UnmatchedArgumentException;
import picocli.CommandLine;

/**
 * The {@code diffusion4j} command line: one picocli subcommand per verb. Every failure ends in one
 * line {@code diffusion4j: error: …} on stderr and a non-zero exit code (2 for a usage error, 1 for
 * a failure while running); {@code --verbose} adds the stack trace.
 */
@Command(name = "diffusion4j",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Denoising diffusion models (DDPM and family) on the JVM: train, sample, inspect.",
        subcommands = {InfoCommand.class, ForwardCommand.class, SampleCommand.class, TrainCommand.class, EvalCommand.class,
            BenchTrainCommand.class, BenchSamplersCommand.class, TrainClassifierCommand.class, TrainClipCommand.class,
            TrainVaeCommand.class, ExportCommand.class, EditCommand.class, InpaintCommand.class, EvalEditCommand.class,
            UpscaleCommand.class, ServeCommand.class, SparkSampleCommand.class, SparkEvalCommand.class, CommandLine.HelpCommand.class},
        footer = {"", "Run 'diffusion4j <command> --help' for a command's options."})
public final class Main implements Runnable {

    /** The prefix of every error line. */
    public static final String ERROR_PREFIX = "diffusion4j: error: ";

    @Option(names = "--verbose", scope = ScopeType.INHERIT,
            description = "Log more and print stack traces on errors.")
    boolean verbose;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Runs the CLI and exits the JVM with its exit code. */
    public static void main(String[] args) {
        if (isVerbose(args)) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "info");
        }
        int code = run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true));
        System.exit(code);
    }

    /** Runs the CLI with the given streams and returns the exit code (for tests and embedding). */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cl = commandLine(out, err, isVerbose(args));
        int code = cl.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    /** The configured command line: streams, error handlers, case-insensitive enum values. */
    static CommandLine commandLine(PrintWriter out, PrintWriter err, boolean verbose) {
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(out);
        cl.setErr(err);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setUsageHelpWidth(100);
        cl.setParameterExceptionHandler((ex, args) -> {
            PrintWriter e = ex.getCommandLine().getErr();
            e.println(ERROR_PREFIX + usageMessage(ex));
            if (verbose) {
                ex.printStackTrace(e);
            }
            e.flush();
            return ex.getCommandLine().getCommandSpec().exitCodeOnInvalidInput();
        });
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            PrintWriter e = commandLine.getErr();
            e.println(ERROR_PREFIX + Errors.describe(ex));
            if (verbose) {
                ex.printStackTrace(e);
            }
            e.flush();
            return commandLine.getCommandSpec().exitCodeOnExecutionException();
        });
        return cl;
    }

    /** The parse error, with picocli's suggestions and the help command folded into the same line. */
    private static String usageMessage(ParameterException ex) {
        String msg = ex.getMessage().replace(System.lineSeparator(), " ").replace('\n', ' ').strip();
        CommandSpec where = ex.getCommandLine().getCommandSpec();
        if (ex instanceof UnmatchedArgumentException u && !u.isUnknownOption() && !where.subcommands().isEmpty()
                && !u.getUnmatched().isEmpty()) {
            msg = "unknown command '" + u.getUnmatched().get(0) + "'; the commands are "
                    + String.join(", ", where.subcommands().keySet());
        }
        if (ex instanceof UnmatchedArgumentException u) {
            List<String> suggestions = u.getSuggestions();
            if (!suggestions.isEmpty()) {
                msg += "; did you mean " + String.join(" or ", suggestions) + "?";
            }
        }
        String name = where.qualifiedName();
        return Errors.oneLine(msg) + " (see '" + name + " --help')";
    }

    static boolean isVerbose(String[] args) {
        return Arrays.asList(args).contains("--verbose");
    }
}
