package org.diffusion4j.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code diffusion4j sample}: placeholder until the UNet and the samplers land on main. */
@Command(name = "sample", mixinStandardHelpOptions = true, description = "Generate images with a trained model.")
final class SampleCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        throw new UnsupportedOperationException("sampling is not wired yet");
    }
}
