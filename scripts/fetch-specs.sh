#!/usr/bin/env bash
# Fetches BigCommerce's official OpenAPI specs and docs pages that the contract tests read, from
# the public bigcommerce/docs repository at one pinned commit, into .specs/bigcommerce (ignored by
# git), and checks every file against its sha256 in scripts/specs.sha256. Nothing is kept unless
# every file arrived and matched.
#
#   make specs                       # or: scripts/fetch-specs.sh
#   scripts/fetch-specs.sh --if-missing       # make test: only when no specs are found
#   SPECS_SOURCE=DIR scripts/fetch-specs.sh   # copy from a local checkout instead (tests)
#
# The tests find the specs at BC_SPECS_DIR, else ../shared/specs/bigcommerce beside the
# repository, else .specs/bigcommerce.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
commit=24f580ca6d2981728b7ed70a2049e00fc602c335
manifest="$root/scripts/specs.sha256"
source=${SPECS_SOURCE:-https://raw.githubusercontent.com/bigcommerce/docs/$commit}
dest=${SPECS_DEST:-$root/.specs/bigcommerce}

if [[ "${1:-}" == "--if-missing" ]]; then
  if [[ -n "${BC_SPECS_DIR:-}" || -f "$root/../shared/specs/bigcommerce/MANIFEST.tsv" ]]; then
    exit 0
  fi
fi

if [[ -f "$dest/MANIFEST.tsv" ]] && [[ -z "${SPECS_FORCE:-}" ]]; then
  echo "specs: already in $dest (SPECS_FORCE=1 fetches again)"
  exit 0
fi

mkdir -p "$(dirname "$dest")"
work=$(mktemp -d "$(dirname "$dest")/.specs-fetch.XXXXXX")
trap 'rm -rf "$work"' EXIT

fetch() {
  local path=$1 out=$2
  mkdir -p "$(dirname "$out")"
  if [[ "$source" == http://* || "$source" == https://* ]]; then
    curl -fsSL --retry 3 --retry-delay 2 --max-time 60 "$source/$path" -o "$out"
  else
    cp "$source/$path" "$out"
  fi
}

count=0
failed=0
while read -r sum path; do
  [[ -z "$sum" || "$sum" == \#* ]] && continue
  out="$work/$path"
  if ! fetch "$path" "$out"; then
    echo "specs: could not fetch $path" >&2
    failed=1
    continue
  fi
  got=$(sha256sum "$out" | cut -d' ' -f1)
  if [[ "$got" != "$sum" ]]; then
    echo "specs: $path does not match its checksum (got $got)" >&2
    failed=1
  fi
  count=$((count + 1))
done < "$manifest"

if [[ $failed -ne 0 ]]; then
  echo "specs: nothing was kept; fix the problems above and run make specs again" >&2
  exit 1
fi

{
  echo "# Source: bigcommerce/docs @ $commit (fetched by scripts/fetch-specs.sh)"
  echo "# columns: sha256  path"
  grep -v '^#' "$manifest"
} > "$work/MANIFEST.tsv"
rm -rf "$dest"
mv "$work" "$dest"
trap - EXIT
echo "specs: $count files checked and saved in $dest"
