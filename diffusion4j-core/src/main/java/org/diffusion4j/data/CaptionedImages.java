package org.diffusion4j.data;

/** Images with a caption each: what a text-to-image model trains on. */
public interface CaptionedImages extends ImageDataset {

    /** The caption of image {@code index}. */
    String caption(int index);
}
