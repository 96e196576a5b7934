/**
 * The mathematics of Gaussian diffusion on NDArrays (Ho et al. 2020; improved-diffusion's
 * {@code gaussian_diffusion.py} and {@code losses.py}):
 * {@link org.diffusion4j.diffusion.GaussianDiffusion} — q(x_t | x₀), the Markov kernel, the
 * posterior, the model's reverse kernel, targets and Min-SNR weights, with per-sample timesteps;
 * {@link org.diffusion4j.diffusion.PredictionType} — ε/x₀/v conversions;
 * {@link org.diffusion4j.diffusion.VarianceType} — fixed and learned reverse variances;
 * {@link org.diffusion4j.diffusion.Losses} — L_simple, Gaussian KL and likelihoods;
 * {@link org.diffusion4j.diffusion.VariationalBound} — the bound on the NLL in bits per dimension.
 *
 * <p>Schedules stay in double ({@link org.diffusion4j.schedule.NoiseSchedule}); coefficients become
 * [N,1,…,1] arrays only at the point of use. Timesteps are 0-based schedule indices (index t is the
 * paper's step t+1). Methods free their intermediates and behave like DJL ops: results belong to
 * the first operand's manager and join the caller's {@code NDScope}; inputs are never closed.
 */
package org.diffusion4j.diffusion;
