#!/usr/bin/env bash
# Opens a report.html in headless Chromium, offline, and checks what the Reports browser test checks:
# it renders (the <title> text is in the DOM), every <img> decodes, and the page logs no errors.
# Usage: scripts/check-report-html.sh path/to/report.html [screenshot.png]
# Needs chromium: apt-get update && apt-get install -y --no-install-recommends chromium
set -euo pipefail

report=${1:?usage: $0 report.html [screenshot.png]}
screenshot=${2:-}
chromium=${CHROMIUM:-/usr/bin/chromium}
if [[ ! -x $chromium ]]; then
  echo "error: $chromium not found; install it: apt-get update && apt-get install -y --no-install-recommends chromium" >&2
  exit 2
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking
  --disable-component-update --disable-sync --disable-dev-shm-usage --disable-extensions --mute-audio
  "--host-resolver-rules=MAP * ~NOTFOUND" --enable-logging=stderr --v=0)

# A copy with a probe that records, after load, how many images failed to decode.
probe='<script>window.addEventListener("load",function(){var i=Array.prototype.slice.call(document.images),b=i.filter(function(x){return !x.complete||x.naturalWidth===0});document.body.setAttribute("data-images",String(i.length));document.body.setAttribute("data-broken-images",String(b.length));if(b.length){console.error("broken images: "+b.map(function(x){return x.alt}).join(", "))}});</script>'
python3 - "$report" "$work/probed.html" "$probe" <<'PY'
import sys
html = open(sys.argv[1], encoding="utf-8").read()
open(sys.argv[2], "w", encoding="utf-8").write(html.replace("</body>", sys.argv[3] + "</body>", 1))
PY

status=0
timeout -k 5 60 "$chromium" "${flags[@]}" --user-data-dir="$work/profile1" --virtual-time-budget=10000 --dump-dom "file://$work/probed.html" >"$work/dom.html" 2>"$work/dom.err" || { echo "chromium --dump-dom failed (exit $?)" >&2; status=1; }
title=$(python3 -c 'import re,sys;m=re.search(r"<title>(.*?)</title>",open(sys.argv[1],encoding="utf-8").read(),re.S);print(m.group(1) if m else "")' "$report")
if [[ -z $title ]] || ! grep -qF "$title" "$work/dom.html"; then echo "FAIL: title '$title' not in the rendered DOM" >&2; status=1; fi
broken=$(grep -o 'data-broken-images="[0-9]*"' "$work/dom.html" | grep -o '[0-9]*' || true)
images=$(grep -o 'data-images="[0-9]*"' "$work/dom.html" | grep -o '[0-9]*' || true)
if [[ -z $broken ]]; then echo "FAIL: the image probe did not run" >&2; status=1
elif [[ $broken != 0 ]]; then echo "FAIL: $broken of $images images did not load" >&2; status=1
else echo "ok: $images images, all loaded"; fi
if grep -E 'Uncaught|:CONSOLE' "$work/dom.err" >&2; then echo "FAIL: the page logged errors (above)" >&2; status=1; fi

if [[ -n $screenshot ]]; then
  timeout -k 5 60 "$chromium" "${flags[@]}" --user-data-dir="$work/profile2" --hide-scrollbars --window-size=1280,4000 \
    --screenshot="$(realpath -m "$screenshot")" "file://$(realpath "$report")" >/dev/null 2>"$work/shot.err" || { echo "chromium --screenshot failed" >&2; status=1; }
  if [[ -s $screenshot ]]; then echo "ok: screenshot $screenshot ($(stat -c %s "$screenshot") bytes)"; else echo "FAIL: no screenshot" >&2; status=1; fi
fi
exit $status
