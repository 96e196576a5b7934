#!/usr/bin/env bash
# Does a shapes text-to-image model read the word order? Samples each of eval's 42 two-object prompts and the same
# words with the objects swapped ("a blue square to the left of a red circle" for "a red circle to the left of a blue
# square") from the same starting noise, finds the two named objects in both images with the project's ShapesAnalyzer,
# and counts how often their order along the relation's axis flips with the words. A model that ignores the order
# draws the same layout twice (few flips); one that follows it flips every time.
#
#   docs/t2i/swap-probe.sh [MODEL [GUIDANCE [PER_PROMPT]]]     # default: models/shapes-t2i 4 4
source "$(dirname "${BASH_SOURCE[0]}")/diagnostics.sh"
jshell -q --class-path "$cp" -R-Ddiag.dir="$dir" - <<JSH
java.nio.file.Files.write(java.nio.file.Path.of("$dir/swapped.txt"),
    java.nio.file.Files.readAllLines(java.nio.file.Path.of("$dir/prompts.txt")).stream().map(org.diffusion4j.data.Shapes::swappedOrder).toList());
/exit
JSH
for set in prompts:img swapped:swapped; do
    "$root/diffusion4j" sample --model "$model" --prompts "$dir/${set%%:*}.txt" -n "$per" --guidance "$guidance" --seed 0 \
        --out "$dir/${set##*:}.png" --out-dir "$dir/${set##*:}" --no-progress > /dev/null
done
echo "model $model, guidance $guidance, $per images per two-object prompt, DDIM 50, seed 0"
jshell -q --class-path "$cp" -R-Ddiag.dir="$dir" -R-Ddiag.per="$per" "$root/docs/t2i/swap-probe.jsh"
