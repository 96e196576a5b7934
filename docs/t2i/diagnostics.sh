# Sourced by the two-object diagnostics beside it, with their arguments [MODEL [GUIDANCE [PER_PROMPT]]]: sets root, model,
# guidance, per, a temporary dir (removed on exit) and cp (the CLI's class path, built on first use), and writes eval's 42
# two-object prompts to $dir/prompts.txt.
set -euo pipefail
root="$(realpath "$(dirname "${BASH_SOURCE[0]}")/../..")"
model="${1:-$root/models/shapes-t2i}"
guidance="${2:-4}"
per="${3:-4}"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
"$root/diffusion4j" --version > /dev/null   # builds the CLI on first use
cp="$root/diffusion4j-cli/target/diffusion4j-cli-0.1.0-SNAPSHOT.jar:$(ls "$root"/diffusion4j-cli/target/lib/*.jar | tr '\n' ':')"
jshell -q --class-path "$cp" -R-Ddiag.dir="$dir" "$root/docs/t2i/two-object-prompts.jsh"
