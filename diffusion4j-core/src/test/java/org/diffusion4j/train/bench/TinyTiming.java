package org.diffusion4j.train.bench;

import java.lang.management.ManagementFactory;
import org.diffusion4j.train.*;

/** Scratch: per-phase time of the stand-in model's steps. */
public final class TinyTiming {
    public static void main(String[] args) throws Exception {
        int steps = Integer.parseInt(args[0]);
        StandIn.run(steps);
    }
}
