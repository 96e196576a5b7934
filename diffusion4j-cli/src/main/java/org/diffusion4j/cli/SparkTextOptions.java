package org.diffusion4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** What {@code spark-sample} is asked to make: prompts for a text model, or a table of requests. */
final class SparkTextOptions {

    @Option(names = "--prompt", paramLabel = "TEXT", description = "Text-conditional models: a prompt (repeatable); -n images each, as 'sample'.")
    List<String> prompt;

    @Option(names = "--prompts", paramLabel = "FILE", description = "Text-conditional models: prompts, one per line (blank lines skipped).")
    Path promptsFile;

    @Option(names = "--negative-prompt", paramLabel = "TEXT", description = "Text-conditional models: the null condition of guidance (default: \"\").")
    String negativePrompt;

    @Option(names = "--requests", paramLabel = "FILE",
            description = {"A table of requests, one image per row: .jsonl ({\"index\": 0, \"prompt\": \"a red circle\", \"seed\": 7}) or .csv "
                    + "(header index,prompt,seed or index,class,seed). index: required, unique, the file sample_<index>.png; prompt (text "
                    + "models) or class (id or name); seed: optional, else --seed.",
                "Rows of one seed with consecutive indices in one --batch cell are one network call; README: the rule."})
    Path requests;

    /** The prompts of --prompt and --prompts, in order (empty when none). */
    List<String> prompts() throws IOException {
        List<String> out = new ArrayList<>(prompt == null ? List.of() : prompt);
        if (promptsFile != null) {
            if (!Files.isRegularFile(promptsFile)) {
                throw new NoSuchFileException(promptsFile.toString(), null, "no such prompts file (--prompts: one prompt per line)");
            }
            for (String line : Files.readAllLines(promptsFile)) {
                if (!line.isBlank()) {
                    out.add(line.strip());
                }
            }
        }
        return out;
    }

    /** Each prompt {@code per} times in a row: image i of 'sample --prompt … -n per' takes prompts[i / per]. */
    static List<String> perImage(List<String> prompts, int per) {
        List<String> out = new ArrayList<>(prompts.size() * per);
        for (String p : prompts) {
            for (int i = 0; i < per; i++) {
                out.add(p);
            }
        }
        return out;
    }
}
