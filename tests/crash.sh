#!/usr/bin/env bash
# Crash test of `trailhound run`: files arrive in batches, each service step is killed with
# SIGKILL at a random moment (several times), then restarted; the final alert set must equal an
# uninterrupted run's. Steps use `--now`, so the schedule advances without waiting.
#   tests/crash.sh [path/to/trailhound]
set -euo pipefail
cd "$(dirname "$0")/.."
T="${1:-target/release/trailhound}"
W=$(mktemp -d "${TMPDIR:-/tmp}/trailhound-crash.XXXXXX")
trap 'rm -rf "$W"' EXIT
"$T" generate --events 12000 --seed 77 --out "$W/gen" 2>/dev/null
# batches: the generated files, then the example attack scenario
mapfile -t files < <(find "$W/gen" -type f | sort)
files+=("$(find examples/cloudtrail -name '*attackscenario*' | head -1)")
mkdir -p "$W/ref" "$W/crash"
RULES=(--rules rules --rules tests/crash-rules)
t0=$(date -u -d 2026-11-01T02:00:00Z +%s)
kills=0
for i in "${!files[@]}"; do
  now=$(date -u -d "@$((t0 + i * 300))" +%Y-%m-%dT%H:%M:%SZ)
  cp "${files[$i]}" "$W/ref/"
  cp "${files[$i]}" "$W/crash/"
  "$T" run "${RULES[@]}" --source "$W/ref" --store "$W/ref.db" --now "$now" 2>/dev/null
  {
    for attempt in 1 2 3; do
      delay=$(awk -v s="$RANDOM" 'BEGIN { srand(s); printf "%.3f", 0.02 + rand() * 0.4 }')
      if timeout -s KILL "$delay" "$T" run "${RULES[@]}" --source "$W/crash" --store "$W/crash.db" --now "$now"; then
        break
      fi
      kills=$((kills + 1))
    done
  } 2>/dev/null
  "$T" run "${RULES[@]}" --source "$W/crash" --store "$W/crash.db" --now "$now" 2>/dev/null
done
list() { "$T" alerts list --store "$1" --limit 100000 --format csv | tail -n +2 | cut -d, -f14 | sort; }
ref=$(list "$W/ref.db")
crash=$(list "$W/crash.db")
n=$(echo "$ref" | grep -c . || true)
if [ "$ref" != "$crash" ]; then
  echo "crash test FAILED: $n alerts uninterrupted, $(echo "$crash" | grep -c .) after $kills kills"
  diff <(echo "$ref") <(echo "$crash") | head
  exit 1
fi
if [ "$n" -eq 0 ]; then
  echo "crash test FAILED: no alerts to compare"
  exit 1
fi
echo "crash test: ${#files[@]} batches, $kills SIGKILLs mid-step, $n alerts identical to the uninterrupted run"
