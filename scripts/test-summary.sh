#!/usr/bin/env bash
# Sums cargo's "test result:" lines from a log and prints one closing line, e.g.
# "tests: 312 passed, 0 failed, 0 skipped" (ignored tests count as skipped), so the total is read at a glance (and by CI).
set -euo pipefail
log="$1"
awk '/^test result:/ {
  for (i = 1; i <= NF; i++) {
    if ($(i+1) ~ /^passed;?$/) p += $i
    if ($(i+1) ~ /^failed;?$/) f += $i
    if ($(i+1) ~ /^ignored;?$/) g += $i
  }
}
END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, g }' "$log"
