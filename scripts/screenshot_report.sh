#!/usr/bin/env bash
# Screenshot a report.html in headless Chromium, to look at the page as a reader would.
#
# Usage:
#   scripts/screenshot_report.sh [REPORT.html] [OUT.png] [WIDTHxHEIGHT] [SECTION]
#
#   REPORT.html  the page to render; default: the demo report built from fake
#                frames by tests/test_html.py (written to a temporary folder)
#   OUT.png      default: report_screenshot.png in the current folder
#   WIDTHxHEIGHT window size in pixels, default 1200x3000 (the top of the page;
#                raise the height to capture more)
#   SECTION      the id of one section (e.g. indicators): only that section is
#                rendered, with the page's styles, so a table far down the page
#                can be looked at (e.g. that the verdict columns of the
#                indicator table keep a readable width: issue 16 item 4)
#
# Needs Debian's chromium (`apt-get install -y chromium`); not part of the test
# suite. The page has a Content-Security-Policy that blocks every remote load,
# and the browser runs with networking features off and a throw-away profile.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${2:-report_screenshot.png}"
size="${3:-1200x3000}"
browser="$(command -v chromium || command -v chromium-browser || true)"
if [[ -z "$browser" ]]; then
  echo "chromium not installed: apt-get install -y chromium" >&2
  exit 2
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if [[ $# -ge 1 && -n "$1" ]]; then
  page="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
  [[ -f "$page" ]] || { echo "no such file: $1" >&2; exit 2; }
else
  page="$work/report_demo.html"
  PYTHONPATH="$repo${PYTHONPATH:+:$PYTHONPATH}" python "$repo/tests/test_html.py" "$page" >/dev/null
fi

case "$out" in /*) ;; *) out="$PWD/$out" ;; esac

if [[ $# -ge 4 && -n "$4" ]]; then
  # the page's head (styles) and the one section, as a page of its own
  python3 - "$page" "$4" "$work/section.html" <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
head = text.split("<body>", 1)[0]
part = re.search(r'<section id="%s">.*?</section>' % re.escape(sys.argv[2]), text, re.S)
if part is None:
    sys.exit(f"no section with id {sys.argv[2]!r} in {sys.argv[1]}")
open(sys.argv[3], "w", encoding="utf-8").write(head + "<body><main>" + part.group(0) + "</main></body></html>\n")
PY
  page="$work/section.html"
fi

"$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --hide-scrollbars --user-data-dir="$work/profile" \
  --window-size="${size/x/,}" --screenshot="$out" "file://$page" >"$work/chromium.log" 2>&1 || {
    cat "$work/chromium.log" >&2
    exit 1
  }
[[ -s "$out" ]] || { cat "$work/chromium.log" >&2; echo "no screenshot written" >&2; exit 1; }
echo "$out"
