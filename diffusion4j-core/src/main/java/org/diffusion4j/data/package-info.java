/**
 * Image data sets for training: strict readers for IDX files ({@link org.diffusion4j.data.IdxFile},
 * {@link org.diffusion4j.data.IdxDataset}) and image folders
 * ({@link org.diffusion4j.data.ImageFolderDataset}), a named registry
 * ({@link org.diffusion4j.data.Datasets}), one in-memory representation
 * ({@link org.diffusion4j.data.ImageDataset}: uint8, NCHW, one contiguous array) and a seeded,
 * resumable {@link org.diffusion4j.data.Batcher} that turns it into float32 NDArray batches in
 * [-1, 1].
 *
 * <p>Every reader refuses hostile input before allocating for it: declared sizes are checked against
 * caps, gzip streams are decompressed only up to the declared size plus one byte, image headers are
 * read before pixels. Each refusal is a {@link org.diffusion4j.data.DatasetException} naming the
 * file and the problem.
 */
package org.diffusion4j.data;
