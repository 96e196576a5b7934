package org.diffusion4j.sampling;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.diffusion4j.diffusion.Denoiser;
import org.diffusion4j.diffusion.NoiseSource;
import org.diffusion4j.schedule.NoiseSchedule;

/**
 * DPM-Solver++(2M), the multistep second-order solver of the probability-flow ODE in data
 * prediction (Lu et al. 2022, "DPM-Solver++", Algorithm 2), as diffusers' DPMSolverMultistepScheduler
 * runs it with {@code algorithm_type="dpmsolver++"} (by default {@code solver_type="midpoint"},
 * {@code final_sigmas_type="zero"}).
 *
 * <p>With α_t = √ᾱ_t, σ_t = √(1−ᾱ_t) (VP; the grid's σ̃ = σ_t/α_t, so α_t = 1/√(σ̃²+1)) and the half
 * log-SNR λ_t = log(α_t/σ_t) = −log σ̃, the exact solution of the ODE from s to t is
 * x_t = (σ_t/σ_s) x_s + σ_t ∫_{λ_s}^{λ_t} e^λ x̂₀(λ) dλ (Eq. 9 of Lu et al.). With h = λ_t − λ_s:
 * <ul>
 * <li>first order (DDIM): x_t = (σ_t/σ_s) x_s − α_t (e^{−h} − 1) D₀, D₀ = x̂₀(x_s, s);</li>
 * <li>2M: with the previous estimate x̂₀(s₁), r₀ = (λ_s − λ_{s₁})/h and D₁ = (D₀ − x̂₀(s₁))/r₀,
 *     x_t = (σ_t/σ_s) x_s − α_t (e^{−h} − 1) D₀ − ½ α_t (e^{−h} − 1) D₁ ({@code midpoint}, Algorithm 2),
 *     or x_t = (σ_t/σ_s) x_s − α_t (e^{−h} − 1) D₀ + α_t ((e^{−h} − 1)/h + 1) D₁ ({@code heun}).</li>
 * </ul>
 * The first step has no history and is first order; so is the last one when it goes to σ = 0,
 * where λ = ∞ and the update is x̂₀ itself (diffusers' {@code final_sigmas_type="zero"}), and when
 * {@code euler_at_final}, or {@code lower_order_final} with fewer than 15 steps, asks for it. The
 * grid is {@link Sigmas#dpmSolver}; the network sees x_t itself at integer timesteps. One network
 * evaluation per step.
 */
public final class DpmSolverPP extends SigmaGridSampler {
    private final int solverOrder;
    private final boolean heunUpdate;
    private final boolean lowerOrderFinal;
    private final boolean eulerAtFinal;
    private final SamplerOptions thresholding; // null: off

    /**
     * DPM-Solver++ over a given grid (σ's in the x/√ᾱ view).
     *
     * @param solverOrder 1 (DPM-Solver++(1), i.e. DDIM) or 2 (2M)
     * @param heunUpdate the {@code heun} form of the second-order update instead of {@code midpoint}
     * @param lowerOrderFinal diffusers' {@code lower_order_final}: first order on the last step when
     *        there are fewer than 15 steps (the last step to σ = 0 is first order regardless)
     * @param eulerAtFinal diffusers' {@code euler_at_final}: first order on the last step
     */
    public DpmSolverPP(Sigmas grid, int solverOrder, boolean heunUpdate, boolean lowerOrderFinal, boolean eulerAtFinal) {
        this(grid, solverOrder, heunUpdate, lowerOrderFinal, eulerAtFinal, null);
    }

    private DpmSolverPP(Sigmas grid, int solverOrder, boolean heunUpdate, boolean lowerOrderFinal, boolean eulerAtFinal,
            SamplerOptions thresholding) {
        super(grid, State.VARIANCE_PRESERVING);
        if (solverOrder != 1 && solverOrder != 2) {
            throw new IllegalArgumentException("dpm-solver++ supports solver_order 1 or 2 (2M), got " + solverOrder
                    + "; the third-order multistep variant is not implemented, use 2");
        }
        this.solverOrder = solverOrder;
        this.heunUpdate = heunUpdate;
        this.lowerOrderFinal = lowerOrderFinal;
        this.eulerAtFinal = eulerAtFinal;
        this.thresholding = thresholding;
    }

    /**
     * DPM-Solver++ as diffusers' DPMSolverMultistepScheduler with these options: the grid of
     * {@link Sigmas#dpmSolver(NoiseSchedule, SamplerOptions)}, {@code solver_order}, {@code solver_type},
     * {@code lower_order_final}, {@code euler_at_final} and dynamic {@code thresholding} of x̂₀
     * (diffusers' dpmsolver++ thresholds, it never clips).
     */
    public DpmSolverPP(NoiseSchedule schedule, SamplerOptions options) {
        this(Sigmas.dpmSolver(schedule, options), options.solverOrder(), options.solverType() == SamplerOptions.SolverType.HEUN,
                options.lowerOrderFinal(), options.eulerAtFinal(), options.thresholding() ? options : null);
    }

    @Override
    public NDArray sampleFrom(int from, Denoiser denoiser, NDArray start, NoiseSource noise, SamplingListener listener, StepHook hook) {
        NDManager manager = start.getManager();
        int n = grid.steps();
        NDArray x = start;
        NDArray previousX0 = null;
        for (int i = from; i < n; i++) {
            try (NDManager sub = manager.newSubManager()) {
                SamplingMath.enterStep(x, start, sub);
                double s = grid.sigma(i);
                double alphaS = 1 / Math.sqrt(s * s + 1);
                double lambdaS = -Math.log(s); // log(α/σ_vp) = −log σ in the x/√ᾱ view
                NDArray out = denoiser.predict(x, grid.timestep(i));
                NDArray x0 = denoiser.predictionType().predictedX0(out, x, alphaS * alphaS);
                if (thresholding != null) {
                    x0 = SamplingMath.dynamicThreshold(x0, thresholding.dynamicThresholdingRatio(), thresholding.sampleMaxValue());
                }
                NDArray next;
                double sigmaT = grid.sigma(i + 1);
                boolean firstOrder = solverOrder == 1 || previousX0 == null || sigmaT == 0
                        || (i == n - 1 && (eulerAtFinal || (lowerOrderFinal && n < 15)));
                if (sigmaT == 0) {
                    next = x0.duplicate(); // α_t = 1, σ_t = 0, e^{−h} = 0
                } else {
                    double alphaT = 1 / Math.sqrt(sigmaT * sigmaT + 1);
                    double h = -Math.log(sigmaT) - lambdaS;
                    double c = -alphaT * Math.expm1(-h); // −α_t (e^{−h} − 1)
                    // σ_t/σ_s in VP terms: (σ̃_t α_t)/(σ̃_s α_s)
                    next = x.mul(sigmaT * alphaT / (s * alphaS));
                    if (firstOrder) {
                        next = next.add(x0.mul(c));
                    } else {
                        double sPrev = grid.sigma(i - 1);
                        double r0 = (Math.log(sPrev) - Math.log(s)) / h; // (λ_s − λ_{s₁})/h
                        NDArray d1 = x0.sub(previousX0).div(r0);
                        // midpoint: −½ α_t (e^{−h} − 1) D₁; heun: α_t ((e^{−h} − 1)/h + 1) D₁
                        double c1 = heunUpdate ? alphaT * (Math.expm1(-h) / h + 1) : 0.5 * c;
                        next = next.add(x0.mul(c)).add(d1.mul(c1));
                    }
                }
                if (previousX0 != null) {
                    previousX0.attach(sub);
                }
                next = hook.after(i, next);
                next.attach(manager);
                x0.attach(manager);
                listener.onStep(i, n, grid.timestep(i), next, x0);
                previousX0 = x0;
                x = next;
            }
        }
        if (previousX0 != null) {
            previousX0.close();
        }
        return x;
    }

    @Override
    public String name() {
        return "dpm-solver++";
    }
}
