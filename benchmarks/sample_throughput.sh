#!/usr/bin/env bash
# Sampling throughput of diffusion4j vs PyTorch on the SAME model: `./diffusion4j sample` end to end (the
# quick start by default: bundled class-conditional model, 80 images, DDIM 50 steps, guidance 2, batch 64)
# against the network calls of that run made by plain PyTorch (benchmarks/peer_unet2d.py: diffusers'
# UNet2DModel in PyTorch, loaded from the same folder; forward only, no sampler arithmetic, so the
# peer's figure is an upper bound for a PyTorch sampler). Prints image-evaluations/s of both and the ratio.
#
#   benchmarks/sample_throughput.sh
#   MODEL=models/fashion-mnist-ddpm-uncond N=256 BATCH=128 STEPS=50 GUIDANCE=1 benchmarks/sample_throughput.sh
#
# The peer needs Debian's python3-torch (apt-get install -y python3-torch); it first checks itself against
# the outputs of the real diffusers (tests' fixtures) and refuses to run if it disagrees.
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=${MODEL:-models/fashion-mnist-ddpm}
N=${N:-80}
BATCH=${BATCH:-64}
STEPS=${STEPS:-50}
GUIDANCE=${GUIDANCE:-2}
THREADS=${THREADS:-2}
TCMALLOC=$(ls /usr/lib/*-linux-gnu/libtcmalloc_minimal.so.4 2>/dev/null | head -1 || true)
ALLOC=${ALLOC:-$([ -n "$TCMALLOC" ] && echo tcmalloc || echo glibc)}
PRELOAD=$([ "$ALLOC" = tcmalloc ] && echo "$TCMALLOC" || true)
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
guided=$(awk -v w="$GUIDANCE" 'BEGIN { print (w != 1) ? 1 : 0 }')

/usr/bin/python3 benchmarks/peer_unet2d.py check diffusion4j-core/src/test/resources/fixtures/diffusers >/dev/null \
    || { echo "the peer does not reproduce diffusers' UNet2DModel; not benchmarking" >&2; exit 1; }
./diffusion4j --version >/dev/null  # build once, outside the timing

echo "# $(lscpu | grep 'Model name' | sed 's/  */ /g')   flags: $(grep -o -w -E 'avx2|avx512f|avx512_bf16|amx_tile' /proc/cpuinfo | sort -u | tr '\n' ' ')"
echo "# model $MODEL   n $N   batch $BATCH   ddim $STEPS steps   guidance $GUIDANCE   threads $THREADS   allocator $ALLOC"
echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg)"
out=$(D4J_THREADS=$THREADS ./diffusion4j sample --model "$MODEL" -n "$N" --batch "$BATCH" --steps "$STEPS" --guidance "$GUIDANCE" \
    --no-progress --out /tmp/sample_throughput.png 2>&1 | grep ' images ')
echo "ours: $out"
seconds=$(echo "$out" | sed -E 's/.* in ([0-9.]+) s .*/\1/')
ours=$(awk -v n="$N" -v s="$STEPS" -v g="$guided" -v t="$seconds" 'BEGIN { printf "%.1f", n * s * (g ? 2 : 1) / t }')
peer_line=$(LD_PRELOAD=$PRELOAD /usr/bin/python3 benchmarks/peer_unet2d.py bench "$MODEL" --n "$N" --batch "$BATCH" --steps "$STEPS" \
    --threads "$THREADS" $([ "$guided" = 1 ] && echo --guided))
echo "peer: $peer_line"
peer=$(echo "$peer_line" | sed -E 's/.*-> ([0-9.]+) evaluations.*/\1/')
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
printf '%-44s %12s %12s %8s\n' "" "diffusion4j" "peer (torch)" "ratio"
printf '%-44s %12s %12s %8.2f\n' "image-evaluations/s (sample vs forward only)" "$ours" "$peer" "$(echo "$ours / $peer" | bc -l)"
