#!/usr/bin/env bash
# Speed cost of the kernel-safe convolution (nn.Convolution, docs/convolution-audit.md): the same
# bench-train measurement (training step at batch 128, forward at batch 64 and 256, 2 threads) from
# the commit before it (BASE) and from this checkout, alternated ROUNDS times in one invocation so
# both see the same machine. Prints each run and the median ratio new/base (1.00 = no cost).
#
#   benchmarks/conv_entry_point.sh                  # ch 32 (block_out_channels [32, 64, 64])
#   CH=24 ROUNDS=2 benchmarks/conv_entry_point.sh   # widths 24/48: every conv padded (base is wrong there)
set -euo pipefail
cd "$(dirname "$0")/.."
BASE=${BASE:-505343e}
ROUNDS=${ROUNDS:-3}
CH=${CH:-32}
BATCH=${BATCH:-128}
ITERS=${ITERS:-4}
THREADS=${THREADS:-2}
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}

build() { # $1 = checkout; prints its class path
    (cd "$1" && mvn -B -o -q -pl diffusion4j-cli -am compile dependency:build-classpath \
        -Dmdep.outputFile=target/bench-classpath.txt >/dev/null)
    echo "$1/diffusion4j-cli/target/classes:$1/diffusion4j-core/target/classes:$(cat "$1/diffusion4j-cli/target/bench-classpath.txt")"
}
base_dir=target/conv-bench-base
[ -d "$base_dir" ] || git worktree add -q --detach "$base_dir" "$BASE"
cp_base=$(build "$base_dir")
cp_new=$(build .)

run() { # $1 = class path
    java -Dai.djl.offline=true -Dai.djl.pytorch.num_threads="$THREADS" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
        -cp "$1" org.diffusion4j.cli.Main bench-train --ch "$CH" --batch "$BATCH" --iters "$ITERS" \
        --forward-batches 64,256 2>/dev/null | grep -o '[0-9.]* img/s' | tr -d ' img/s' | tr '\n' ' '
}
echo "# $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), avx512f: $(grep -qw avx512f /proc/cpuinfo && echo yes || echo no)"
echo "# base $BASE vs $(git rev-parse --short HEAD)$(git diff --quiet || echo '+changes'), ch $CH, batch $BATCH, threads $THREADS, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# img/s:            train  fwd64  fwd256"
ratios=()
for r in $(seq "$ROUNDS"); do
    b=($(run "$cp_base")); n=($(run "$cp_new"))
    echo "round $r base:      ${b[*]}"
    echo "round $r new:       ${n[*]}"
    ratios+=("$(awk -v a="${n[0]}" -v b="${b[0]}" -v c="${n[1]}" -v d="${b[1]}" -v e="${n[2]}" -v f="${b[2]}" \
        'BEGIN {printf "%.3f %.3f %.3f", a/b, c/d, e/f}')")
done
median() { sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
echo "median ratio new/base: train $(printf '%s\n' "${ratios[@]}" | cut -d' ' -f1 | median)" \
    " forward@64 $(printf '%s\n' "${ratios[@]}" | cut -d' ' -f2 | median)" \
    " forward@256 $(printf '%s\n' "${ratios[@]}" | cut -d' ' -f3 | median)"
