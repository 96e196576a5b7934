package org.diffusion4j.train;

import java.time.Duration;

/**
 * The state after a step.
 *
 * @param step the number of steps done (the next step's index)
 * @param targetStep the step the run stops at, or -1 when only a time budget bounds it
 * @param loss the step's loss (NaN for a skipped step)
 * @param smoothedLoss an exponential moving average of the finite losses (α = 0.02)
 * @param imagesPerSecond throughput averaged over recent steps
 * @param eta the estimated time left, or null when unknown
 * @param skippedSteps how many steps have been skipped for non-finite values in this run
 */
public record TrainProgress(long step, long targetStep, double loss, double smoothedLoss, double imagesPerSecond,
        Duration eta, long skippedSteps) {}
