#!/usr/bin/env bash
# Issue 19's model selection: score the EMA weights of a class-conditional run's checkpoints by FD at n = 1000
# (DDIM 50 steps, guidance w = 2, seed 0: the bundled model's defaults; IS, precision/recall and class accuracy come
# with it), newest first, and write one eval JSON per step; steps already scored are skipped. With STEP arguments,
# only those checkpoints.
#
#   docs/class-retrain/select.sh runs/fm-cos docs/class-retrain/fd [STEP...]
#
# A checkpoint's ema.safetensors holds the U-Net's weights under diffusers' names, so each step is scored as a
# model folder: the run's model_index.json, scheduler/ and unet/config.json with those weights.
set -euo pipefail
root="$(realpath "$(dirname "${BASH_SOURCE[0]}")/../..")"
run="$(realpath "${1:?usage: $0 RUN_FOLDER [OUT_DIR [STEP...]]}")"
out="$(realpath -m "${2:-$root/docs/class-retrain/fd}")"
shift $(( $# < 2 ? $# : 2 ))
steps="${*:-$(ls "$run/training" | sed -n 's/^step-\([0-9]*\)$/\1/p')}"
mkdir -p "$out"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
for step in $(printf '%s\n' $steps | sort -rn); do
  ck="$run/training/step-$step"
  [ -f "$out/step-$step.json" ] && continue
  m="$tmp/step-$step"
  mkdir -p "$m/unet"
  cp "$run/model_index.json" "$m/"
  cp -r "$run/scheduler" "$m/"
  cp "$run/unet/config.json" "$m/unet/"
  cp "$ck/ema.safetensors" "$m/unet/diffusion_pytorch_model.safetensors"
  "$root/diffusion4j" eval --model "$m" -n 1000 --guidance 2 --metrics fd,is,pr --no-progress --json "$out/step-$step.json"
  rm -rf "$m"
done
