#!/usr/bin/env bash
# Issue 14's text-encoder ablation at an equal budget, in latent space (16x16x4 latents of one frozen auto-encoder,
# 64x64 images): the same shapes-ldm U-Net trained for M minutes with
#   frozen        the contrastively trained models/shapes-clip encoder, fixed (Imagen, Stable Diffusion; the default)
#   joint         the same encoder architecture from random weights, trained with the U-Net by the diffusion loss alone
#   bag_of_words  token embeddings only (no layers, no positions): the U-Net sees which words, not their order
# run one after another on the same machine, then eval at w = 2 (DDIM 50, 2 images per evaluation prompt).
# The frozen arm is the bundled models/shapes-ldm. Output under runs/ablation/.
#
#   ./diffusion4j train-vae --data shapes --size 64 --out runs/vae --minutes 40    # the auto-encoder, first
#   docs/t2i/ablation.sh               # M = 30 minutes per arm
set -euo pipefail
cd "$(dirname "$0")/../.."
M=${M:-30}
R=runs/ablation
mkdir -p $R
for mode in frozen joint bag_of_words; do
  ./diffusion4j train --config shapes-ldm --vae runs/vae --text-encoder-training $mode --out $R/$mode --minutes "$M" \
      --no-progress > $R/$mode.log
done
for mode in frozen joint bag_of_words; do
  ./diffusion4j eval --model $R/$mode -n 2 --guidance 2 --clip models/shapes-clip --no-progress --json $R/$mode.json \
      | tee $R/$mode.txt
done
