#!/usr/bin/env bash
# Whole-process benchmark of `trailhound hunt` on a fixed generated data set.
#
#   bench/run.sh [EVENTS]        (default 850000 events, about 1 GB of NDJSON)
#
# Generates (once, cached under target/bench-data/EVENTS) the same records as gzipped S3
# delivery files and as NDJSON, then measures, in the same run so ratios are meaningful on a
# noisy machine: `zcat` and `cat` of the inputs (baselines), and hunt with one rule and with every
# query rule of Elastic's latest AWS set (../shared/corpus, else the bundled rules), on one and
# two threads. Prints wall time, events/s, peak memory (max RSS) and the ratio to the baseline.
set -euo pipefail
cd "$(dirname "$0")/.."
EVENTS="${1:-850000}"
DATA="target/bench-data/$EVENTS"
T=target/release/trailhound
cargo build --release --quiet -p trailhound
if [ ! -f "$DATA/.done" ]; then
  rm -rf "$DATA"
  "$T" generate --events "$EVENTS" --seed 42 --out "$DATA/gz"
  "$T" generate --events "$EVENTS" --seed 42 --format ndjson --out "$DATA/nd"
  touch "$DATA/.done"
fi
FULL=(--rules ../shared/corpus/elastic-aws-rules-latest)
[ -d ../shared/corpus/elastic-aws-rules-latest ] || FULL=()
ONE=(--rule "GuardDuty Detector")

measure() { # label, then the command; prints "label seconds maxrss_kb"
  local label="$1"; shift
  local tf
  tf=$(mktemp)
  /usr/bin/time -o "$tf" -f "%e %M" "$@" > /dev/null 2>&1 || true
  echo "$label $(tail -1 "$tf")"
  rm -f "$tf"
}

results=$(
  measure "zcat(gz)" sh -c "find $DATA/gz -name '*.gz' -exec zcat {} +"
  measure "cat(nd)" sh -c "cat $DATA/nd/*"
  measure "normalize/gz" "$T" normalize --no-original "$DATA/gz"
  measure "normalize/nd" "$T" normalize --no-original "$DATA/nd"
  for fmt in gz nd; do
    for th in 1 2; do
      measure "hunt/$fmt/1-rule/${th}t" "$T" hunt -q --threads "$th" --format ndjson "${ONE[@]}" "$DATA/$fmt"
      measure "hunt/$fmt/full/${th}t" "$T" hunt -q --threads "$th" --format ndjson "${FULL[@]}" "$DATA/$fmt"
    done
  done
)
zcat_s=$(echo "$results" | awk '$1=="zcat(gz)"{print $2}')
cat_s=$(echo "$results" | awk '$1=="cat(nd)"{print $2}')
nd_mb=$(du -sm "$DATA/nd" | cut -f1)
printf "%-22s %8s %12s %8s %10s %s\n" "run" "seconds" "events/s" "MB/s" "peak MB" "vs baseline"
echo "$results" | while read -r label secs rss; do
  case "$label" in
    *gz*|zcat*) base=$zcat_s; bname=zcat ;;
    *) base=$cat_s; bname=cat ;;
  esac
  awk -v l="$label" -v s="$secs" -v r="$rss" -v n="$EVENTS" -v b="$base" -v bn="$bname" -v mb="$nd_mb" \
    'BEGIN { printf "%-22s %8.2f %12.0f %8.0f %10.1f %.2fx %s\n", l, s, n/(s>0?s:1e-9), mb/(s>0?s:1e-9), r/1024, s/(b>0?b:1e-9), bn }'
done
echo "events: $EVENTS ($nd_mb MB as NDJSON; MB/s is of the uncompressed data); rules: ${FULL[*]:-bundled}; cores: $(nproc)"
