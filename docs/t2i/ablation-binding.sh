#!/usr/bin/env bash
# Issue 14's text-encoder ablation, round 2: which encoder lets the U-Net bind. The bundle's pixel-space recipe
# (docs/t2i/shapes-t2i-ablation.json: 32x32, v-prediction, cosine learning rate) from random weights for the same
# N steps (the same images) with
#   frozen        the contrastively trained models/shapes-negclip encoder, fixed (the bundle's)
#   joint         the same encoder architecture from random weights, trained with the U-Net by the diffusion loss alone
#   bag_of_words  token embeddings only (no layers, no positions): the U-Net sees which words, not their order
# one after another, then eval at w = 4 with the binding probe (--binding: the diffusion classifier's choice between
# each of 512 two-object test captions and the same words with the colours or the objects swapped).
# Equal steps, not equal minutes, so that a busy machine does not favour an arm. Output under runs/ablation-binding/.
#
#   docs/t2i/ablation-binding.sh      # N = 1000 steps per arm
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${N:-1000}
R=runs/ablation-binding
mkdir -p $R
for mode in frozen joint bag_of_words; do
  ./diffusion4j train --config docs/t2i/shapes-t2i-ablation.json --text-encoder-training $mode --out $R/$mode --steps "$N" \
      --no-progress > $R/$mode.log 2>&1
done
for mode in frozen joint bag_of_words; do
  ./diffusion4j eval --model $R/$mode -n 2 --guidance 4 --clip models/shapes-clip --binding 512 --no-progress --json $R/$mode.json \
      > $R/$mode.txt 2>&1
done
