#!/usr/bin/env bash
# Shrinks each target's corpus (fuzz/corpus/TARGET/) to what the repository keeps, after a
# long run has grown it: the seeds (seed-*) and the inputs of fixed crashes (regression-*),
# then, among the other inputs of at most MAX_BYTES, those that add coverage beyond them
# (libFuzzer's -merge=1, smallest first). Small inputs keep the replay of `cargo test` fast
# and the corpus within a couple of megabytes; the larger inputs a run found are dropped.
#
#   fuzz/shrink.sh [MAX_BYTES] [TARGET...]      (MAX_BYTES: 1024 unless given)
set -euo pipefail
cd "$(dirname "$0")/.."

max=${1:-1024}
shift || true
flags=(-s none --features libfuzzer)
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cargo fuzz list)
fi
nice -n 10 cargo fuzz build "${flags[@]}" >&2
bin=${CARGO_TARGET_DIR:-target}/x86_64-unknown-linux-gnu/release

for target in "${targets[@]}"; do
  corpus=fuzz/corpus/$target
  kept=$(mktemp -d)
  candidates=$(mktemp -d)
  find "$corpus" -type f \( -name 'seed-*' -o -name 'regression-*' \) -exec cp {} "$kept" \;
  find "$corpus" -type f ! -name 'seed-*' ! -name 'regression-*' -size -"$((max + 1))"c \
    -exec cp {} "$candidates" \;
  # Edges only (no hit counts): one input per new branch, not per new loop count.
  nice -n 10 "$bin/$target" -merge=1 -use_counters=0 -timeout=10 "$kept" "$candidates" \
    >"${TMPDIR:-/tmp}/shrink-$target.log" 2>&1
  rm -rf "$corpus" "$candidates"
  mv "$kept" "$corpus"
  chmod 755 "$corpus"
  echo "$target: $(find "$corpus" -type f | wc -l) files, $(du -sb "$corpus" | cut -f1) bytes"
done
echo "total: $(du -sb fuzz/corpus | cut -f1) bytes"
