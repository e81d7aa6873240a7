#!/usr/bin/env bash
# Runs a command with a moto server (AWS stand-in) on a free loopback port, and stops the server
# afterwards, also when the command fails or is interrupted.
#
#   scripts/with-moto.sh cargo test --workspace
#
# The command sees AWS_ENDPOINT_URL, AWS_REGION and dummy credentials, as the functions do locally.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
moto="$root/.venv/bin/moto_server"
if [[ ! -x "$moto" ]]; then
  echo "with-moto: $moto not found; run 'make venv' first" >&2
  exit 2
fi

port=$("$root/.venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
log_dir="$root/target/moto"
mkdir -p "$log_dir"
log="$log_dir/moto-$port.log"

"$moto" -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
moto_pid=$!
cleanup() {
  kill "$moto_pid" 2>/dev/null || true
  wait "$moto_pid" 2>/dev/null || true
}
trap cleanup EXIT INT TERM

export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
export AWS_REGION="${AWS_REGION:-us-east-1}"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-testing}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-testing}"
export AWS_EC2_METADATA_DISABLED=true

for _ in $(seq 1 100); do
  if "$root/.venv/bin/python" - "$port" <<'PY' 2>/dev/null; then break; fi
import sys, urllib.request
urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/moto-api/", timeout=1)
PY
  if ! kill -0 "$moto_pid" 2>/dev/null; then
    echo "with-moto: moto server exited; log follows" >&2
    cat "$log" >&2
    exit 2
  fi
  sleep 0.1
done
echo "with-moto: moto server on $AWS_ENDPOINT_URL (log: $log)" >&2

"$@"
