package org.diffusion4j.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.pytorch.jni.JniUtils;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.diffusion4j.nn.ConvolutionAudit.Config;
import org.diffusion4j.nn.ConvolutionAudit.Errors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The project's convolution is right for every channel count on this CPU, with libtorch's memory
 * poisoned before each repetition: forward, ∂L/∂x and ∂L/∂W, ∂L/∂b within {@value
 * ConvolutionAudit#TOLERANCE} of float64. Tagged {@code kernel}: the build runs it a second time
 * under {@code ONEDNN_MAX_CPU_ISA=AVX2}, so an AVX-512 machine also checks the AVX2 kernels.
 */
@Tag("kernel")
class ConvolutionAuditTest {

    static final int[] CHANNELS = {1, 3, 8, 16, 24, 40, 48, 80};

    @Test
    void entryPointIsRightForEveryChannelCountKernelStrideAndBatch() {
        List<String> wrong = new ArrayList<>();
        int previous = IntraOpThreads.useOne();
        try {
            for (int threads : new int[] {1, 2}) { // libtorch picks oneDNN for 1x1 kernels only with >1 thread
                JniUtils.setNumThreads(threads);
                for (Config c : ConvolutionAudit.grid(CHANNELS, new int[] {1, 3}, new int[] {1, 2}, new int[] {1, 4}, 12)) {
                    Errors e = ConvolutionAudit.check(ConvolutionAudit.ENTRY_POINT, c, 2, c.hashCode());
                    if (!e.ok()) {
                        wrong.add(threads + " threads " + c + ": " + e);
                    }
                }
            }
        } finally {
            IntraOpThreads.restore(previous);
        }
        assertTrue(wrong.isEmpty(), wrong.size() + " wrong configurations:\n" + String.join("\n", wrong));
    }

    /**
     * Writes raw libtorch's results on this CPU to the file named by {@code -Dconv.audit.out}, as
     * one input × output channel matrix per kernel, stride and batch: {@code F} wrong forward,
     * {@code D} wrong ∂L/∂x, {@code W} wrong ∂L/∂W or ∂L/∂b, {@code ·} right in every repetition.
     * Run it under each ISA; {@code docs/convolution-audit.md} collects the matrices.
     */
    @Test
    @EnabledIfSystemProperty(named = "conv.audit.out", matches = ".+")
    void auditRawLibtorch() throws IOException {
        int repetitions = Integer.getInteger("conv.audit.repetitions", 8);
        int threads = Integer.getInteger("conv.audit.threads", 2);
        StringBuilder md = new StringBuilder();
        md.append("ISA cap `ONEDNN_MAX_CPU_ISA`: ")
                .append(System.getenv().getOrDefault("ONEDNN_MAX_CPU_ISA", "none (default)"))
                .append("; libtorch threads: ").append(threads).append("; repetitions per configuration: ")
                .append(repetitions).append("; 12×12 input, padding k/2\n");
        int total = 0, bad = 0;
        int previous = IntraOpThreads.useOne();
        try {
            JniUtils.setNumThreads(threads);
            for (int batch : new int[] {1, 4}) {
                for (int kernel : new int[] {1, 3}) {
                    for (int stride : new int[] {1, 2}) {
                        md.append("\n").append(kernel).append("×").append(kernel).append(", stride ").append(stride)
                                .append(", batch ").append(batch).append(" (rows: input channels, columns: output channels)\n\n");
                        md.append("| ic \\ oc |");
                        for (int oc : CHANNELS) {
                            md.append(' ').append(oc).append(" |");
                        }
                        md.append("\n|---:|").append(":---:|".repeat(CHANNELS.length)).append('\n');
                        for (int ic : CHANNELS) {
                            md.append("| **").append(ic).append("** |");
                            for (int oc : CHANNELS) {
                                Config c = new Config(batch, ic, oc, kernel, stride, 12);
                                Errors e = ConvolutionAudit.check(ConvolutionAudit.RAW, c, repetitions, c.hashCode());
                                total++;
                                String code = (wrong(e.forward()) ? "F" : "") + (wrong(e.backwardData()) ? "D" : "")
                                        + (wrong(e.backwardWeights()) ? "W" : "");
                                if (!code.isEmpty()) {
                                    bad++;
                                    code = "**" + code + "**" + (e.failedRepetitions() < repetitions
                                            ? " " + e.failedRepetitions() + "/" + repetitions : "");
                                }
                                md.append(' ').append(code.isEmpty() ? "·" : code).append(" |");
                            }
                            md.append('\n');
                        }
                    }
                }
            }
        } finally {
            IntraOpThreads.restore(previous);
        }
        md.append("\n").append(bad).append(" of ").append(total).append(" configurations wrong at least once\n");
        Files.writeString(Path.of(System.getProperty("conv.audit.out")), md);
    }

    private static boolean wrong(double error) {
        return !(error <= ConvolutionAudit.TOLERANCE);
    }
}
