#!/usr/bin/env bash
# End-to-end test of the browser softphone in headless Chromium.
#
#   tests/browser/run.sh            build awaaz, make the caller WAV, run the test
#
# Needs: Debian `chromium` (apt-get install chromium), node + npm, espeak-ng,
# sox, and ./models (`just models`). Stops by itself: the whole run is capped
# by `timeout`, and the node script kills the server and browser it started.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/awaaz-target}"
export AWAAZ_MODELS_DIR="${AWAAZ_MODELS_DIR:-$root/models}"

for tool in node npm espeak-ng sox; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool is missing" >&2; exit 1; }
done
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
# A fresh machine gets Debian's Chromium when we may install it (CI runs as root).
if [[ ! -x "$CHROMIUM" && "$CHROMIUM" == /usr/bin/chromium && "$(id -u)" == 0 ]]; then
  (apt-get install -y -qq chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium; }) >&2
fi
[[ -x "$CHROMIUM" ]] || { echo "run.sh: $CHROMIUM is missing (apt-get install chromium)" >&2; exit 1; }
[[ -d "$AWAAZ_MODELS_DIR" ]] || { echo "run.sh: no models in $AWAAZ_MODELS_DIR (run: just models)" >&2; exit 1; }

# The project builds and runs in the dev profile (deps optimised).
(cd "$root" && cargo build -p awaaz --bin awaaz)
server="$CARGO_TARGET_DIR/debug/awaaz"

# The lock file pins playwright-core; `npm ci` installs exactly that.
if [[ ! -d "$here/node_modules/playwright-core" ]]; then
  (cd "$here" && npm ci --no-audit --no-fund)
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# The caller: 6 s of silence (the greeting plays), the question, 4 s of
# silence (end of turn),
# as 48 kHz mono PCM16, the format Chromium's fake microphone reads best.
espeak-ng -v en-us -s 140 -w "$work/raw.wav" "Hello. Where is my order number 4 5 6 7 8?"
sox "$work/raw.wav" -r 48000 -c 1 -b 16 "$work/caller.wav" gain -n -3 pad 6 4

cd "$here"
node worklet.test.mjs
timeout --kill-after=10 300 node softphone.test.mjs --server "$server" --wav "$work/caller.wav"
