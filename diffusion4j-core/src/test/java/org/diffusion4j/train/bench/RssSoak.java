package org.diffusion4j.train.bench;

/** Scratch: VmRSS of the stand-in training every 100 steps for N steps. */
public final class RssSoak {
    public static void main(String[] args) throws Exception {
        org.diffusion4j.train.StandIn.soak(Integer.parseInt(args[0]));
    }
}
