#!/usr/bin/env bash
# Training and sampling throughput of diffusion4j vs the plain PyTorch peer, in one invocation on
# the same machine: the same U-Net (Fashion-MNIST, 28x28x1, channels [ch, 2ch, 2ch], 2 res blocks
# per level, attention at 7x7 and in the middle, GroupNorm 8, dropout 0.1), the same batch, the
# same thread count. Prints both parameter counts, images/s and the ratio ours/peer (target >= 1).
#
#   benchmarks/train_throughput.sh                 # ch 32, batch 128, forward at batch 64 and 256
#   CH=32 BATCH=128 ITERS=8 THREADS=2 PEER=../shared/peers/torch_ddpm.py benchmarks/train_throughput.sh
#
# The peer needs Debian's python3-torch (apt-get install -y python3-torch).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${PEER:-}" ]; then  # ../shared from the main checkout, ../../shared from a worktree under wt/
    for p in ../shared/peers/torch_ddpm.py ../../shared/peers/torch_ddpm.py; do
        [ -f "$p" ] && PEER=$p && break
    done
fi
PEER=${PEER:-../shared/peers/torch_ddpm.py}
[ -f "$PEER" ] || { echo "peer script $PEER not found; set PEER=/path/to/torch_ddpm.py" >&2; exit 2; }
CH=${CH:-32}
BATCH=${BATCH:-128}
ITERS=${ITERS:-8}
THREADS=${THREADS:-2}
FORWARD_BATCHES=${FORWARD_BATCHES:-"64 256"}
# ALLOC=tcmalloc (default when libtcmalloc_minimal is installed, as ./diffusion4j does) preloads tcmalloc into
# BOTH processes, ALLOC=glibc into neither: the same allocator on each side.
TCMALLOC=$(ls /usr/lib/*-linux-gnu/libtcmalloc_minimal.so.4 /usr/lib64/libtcmalloc_minimal.so.4 2>/dev/null | head -1 || true)
ALLOC=${ALLOC:-$([ -n "$TCMALLOC" ] && echo tcmalloc || echo glibc)}
PRELOAD=""
if [ "$ALLOC" = tcmalloc ]; then
    [ -n "$TCMALLOC" ] || { echo "ALLOC=tcmalloc but libtcmalloc_minimal.so.4 is not installed (apt-get install libtcmalloc-minimal4)" >&2; exit 2; }
    PRELOAD=$TCMALLOC
fi
# Both sides use libtorch's OpenMP; let idle threads sleep instead of spinning (as ./diffusion4j does):
# on a shared machine spinning costs both of them far more than it saves.
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}

mvn -B -o -q -pl diffusion4j-cli -am compile dependency:build-classpath \
    -Dmdep.outputFile=target/bench-classpath.txt >/dev/null
CP="diffusion4j-cli/target/classes:$(cat diffusion4j-cli/target/bench-classpath.txt)"

echo "# $(lscpu | grep 'Model name' | sed 's/  */ /g')   allocator $ALLOC"
echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg)   threads $THREADS   ch $CH   batch $BATCH   iters $ITERS   OMP_WAIT_POLICY $OMP_WAIT_POLICY"
ours=$(LD_PRELOAD=$PRELOAD java -Dai.djl.offline=true -Dai.djl.pytorch.num_threads="$THREADS" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
    -cp "$CP" org.diffusion4j.cli.Main bench-train --ch "$CH" --batch "$BATCH" --iters "$ITERS" \
    --forward-batches "$(echo $FORWARD_BATCHES | tr ' ' ',')" 2>/dev/null)
echo "$ours" | sed 's/^/ours: /'
peer=$(LD_PRELOAD=$PRELOAD /usr/bin/python3 "$PEER" bench --ch "$CH" --batch "$BATCH" --iters "$ITERS" --threads "$THREADS")
echo "$peer" | sed 's/^/peer: /'
declare -A peer_fwd
for fb in $FORWARD_BATCHES; do
    line=$(LD_PRELOAD=$PRELOAD /usr/bin/python3 "$PEER" bench --ch "$CH" --batch "$fb" --iters "$ITERS" --threads "$THREADS" | grep forward-only)
    echo "peer: batch $fb $line"
    peer_fwd[$fb]=$(echo "$line" | sed -E 's/.*-> ([0-9.]+) img\/s.*/\1/')
done
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"

ips() { sed -E 's/.*-> ([0-9.]+) img\/s.*/\1/'; }
ours_params=$(echo "$ours" | grep '^params' | awk '{print $2}')
peer_params=$(echo "$peer" | grep '^params' | awk '{print $2}')
ours_train=$(echo "$ours" | grep '^params' | ips)
peer_train=$(echo "$peer" | grep '^params' | ips)
echo
printf '%-28s %14s %14s %8s\n' "" "diffusion4j" "peer (torch)" "ratio"
printf '%-28s %14s %14s\n' "parameters" "$ours_params" "$peer_params"
printf '%-28s %14s %14s %8.2f\n' "train img/s (batch $BATCH)" "$ours_train" "$peer_train" \
    "$(echo "$ours_train / $peer_train" | bc -l)"
for fb in $FORWARD_BATCHES; do
    o=$(echo "$ours" | grep "^forward-only batch $fb " | ips)
    p=${peer_fwd[$fb]}
    printf '%-28s %14s %14s %8.2f\n' "forward img/s (batch $fb)" "$o" "$p" "$(echo "$o / $p" | bc -l)"
done
