/**
 * Training a noise predictor: {@link org.diffusion4j.train.DiffusionTrainer} runs Algorithm 1 of Ho
 * et al. 2020 with {@link org.diffusion4j.train.AdamW}, {@link org.diffusion4j.train.GradientClipping}
 * and an {@link org.diffusion4j.train.Ema} of the weights, configured by a
 * {@link org.diffusion4j.train.TrainConfig} (JSON; presets {@code tiny} and {@code fashion-mnist}).
 *
 * <p>A run writes a diffusers model folder ({@link org.diffusion4j.diffusers.ModelFolder}): the EMA U-Net,
 * the DDPM scheduler config, and sealed checkpoints {@code training/step-N/}
 * ({@link org.diffusion4j.train.TrainingCheckpoint}) from which {@link
 * org.diffusion4j.train.DiffusionTrainer#resume()} continues bit-identically; plus
 * {@code metrics.jsonl} ({@link org.diffusion4j.train.MetricsLog}) and {@code loss.png}
 * ({@link org.diffusion4j.train.LossCurve}).
 *
 * <pre>{@code
 * TrainConfig config = TrainConfig.preset("fashion-mnist");
 * try (NDManager manager = NDManager.newBaseManager()) {
 *     TrainingData data = Training.batches(config, Training.openDataset(config));
 *     DiffusionTrainer trainer = DiffusionTrainer.builder(config, Training.newModel(config, manager), data)
 *             .optOutput(new ModelFolder(Path.of("runs/fm"))).build();
 *     trainer.resume();                                   // false when there is no checkpoint yet
 *     trainer.train(Long.MAX_VALUE, Duration.ofMinutes(60));
 * }
 * }</pre>
 */
package org.diffusion4j.train;
