#!/usr/bin/env bash
# Issue 15's comparison on shapes at 64x64 with prompts: pixel diffusion, latent diffusion (auto-encoder + U-Net on
# its latents) and the cascade (32x32 text model + 32 -> 64 super-resolution stage), each given the same wall time
# B of this 2-core machine, run one at a time. Then the figures (eval, w = 2, 2 images per evaluation prompt, DDIM 50)
# and one grid per method. Output under runs/decoder/. About 80 min of training and 35 min of evaluation.
#
#   docs/decoder/comparison.sh            # B = 27 minutes
#   B=60 docs/decoder/comparison.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
B=${B:-27}
R=runs/decoder
mkdir -p $R
t() { local s; s=$(date +%s.%N); "$@"; echo "TIME $(echo "$(date +%s.%N) - $s" | bc) :: $*" | tee -a $R/times.txt; }
frac() { echo "$B * $1" | bc -l; }
# latent: the auto-encoder's 400 steps took 10.6 min here; the U-Net gets the rest of B
t ./diffusion4j train-vae --data shapes --size 64 --out $R/vae --minutes "$(frac 0.39)" > $R/vae.log
t ./diffusion4j train --config shapes-ldm --vae $R/vae --out $R/ldm --minutes "$(frac 0.59)" --no-progress > $R/ldm.log
# cascade: two thirds of B for the 32x32 base, one third for the stage
t ./diffusion4j train --config shapes-t2i --out $R/base32 --minutes "$(frac 0.65)" --no-progress > $R/base32.log
t ./diffusion4j train --config shapes-sr --out $R/sr --minutes "$(frac 0.315)" --no-progress > $R/sr.log
t ./diffusion4j train --config docs/decoder/shapes-sr-no-augmentation.json --out $R/sr-noaug --minutes "$(frac 0.315)" --no-progress > $R/sr-noaug.log
# pixel diffusion at 64x64
t ./diffusion4j train --config shapes-t2i-64 --out $R/pixel64 --minutes "$(frac 0.98)" --no-progress > $R/pixel64.log

common=(-n 2 --guidance 2 --clip models/shapes-clip --no-progress)
./diffusion4j eval --model $R/pixel64 "${common[@]}" --json $R/pixel64.json | tee $R/pixel64.txt
./diffusion4j eval --model $R/ldm "${common[@]}" --json $R/ldm.json | tee $R/ldm.txt
./diffusion4j eval --model $R/base32 --upscale $R/sr "${common[@]}" --json $R/cascade.json | tee $R/cascade.txt
./diffusion4j eval --model $R/base32 --upscale $R/sr-noaug "${common[@]}" --json $R/cascade-noaug.json | tee $R/cascade-noaug.txt
P=models/shapes-t2i/prompts.txt
./diffusion4j sample --model $R/pixel64 --prompts $P -n 4 --guidance 2 --out $R/grid-pixel64.png
./diffusion4j sample --model $R/ldm --prompts $P -n 4 --guidance 2 --out $R/grid-latent.png
./diffusion4j sample --model $R/base32 --upscale $R/sr --prompts $P -n 4 --guidance 2 --out $R/grid-cascade.png
