#!/usr/bin/env bash
# Where a shapes text-to-image model's two-object images go wrong, past eval's funnel: how many objects the analyzer
# finds, why two found objects are not the asked parts (a colour or a shape wrong), and — of the bound images whose
# relation fails — whether the objects stand on the asked axis with the order swapped ("mirrored") or on the other axis.
#
#   docs/t2i/two-object-errors.sh [MODEL [GUIDANCE [PER_PROMPT]]]     # default: models/shapes-t2i 4 4
#
# Samples PER_PROMPT images (DDIM 50, seed 0) for each of eval's 42 two-object prompts and reads them with the project's
# ShapesAnalyzer (the jshell scripts beside this one, on the CLI's class path).
source "$(dirname "${BASH_SOURCE[0]}")/diagnostics.sh"
"$root/diffusion4j" sample --model "$model" --prompts "$dir/prompts.txt" -n "$per" --guidance "$guidance" --seed 0 \
    --out "$dir/grid.png" --out-dir "$dir/img" --no-progress > /dev/null
echo "model $model, guidance $guidance, $per images per two-object prompt, DDIM 50, seed 0"
jshell -q --class-path "$cp" -R-Ddiag.dir="$dir" -R-Ddiag.per="$per" "$root/docs/t2i/two-object-errors.jsh"
