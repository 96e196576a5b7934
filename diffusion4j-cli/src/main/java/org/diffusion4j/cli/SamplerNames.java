package org.diffusion4j.cli;

import java.util.Iterator;
import org.diffusion4j.sampling.Samplers;

/** Completion candidates and help text for sampler names: the {@link Samplers} registry. */
final class SamplerNames implements Iterable<String> {
    @Override
    public Iterator<String> iterator() {
        return Samplers.names().iterator();
    }
}
