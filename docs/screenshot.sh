#!/usr/bin/env bash
# Build a preview of the site and take headless screenshots of a few pages, to check
# how they render. Usage: [HEIGHT=2000] bash docs/screenshot.sh [OUTPUT_DIR]
# Needs the docs extra and Chromium (Debian: apt-get install -y chromium); with
# Debian's libjs-mathjax installed, formulas render offline too.
set -euo pipefail
cd "$(dirname "$0")"
out="${1:-$PWD/_build/screenshots}"
preview="$PWD/_build/preview"
mkdir -p "$out"
mathjax=/usr/share/javascript/mathjax/MathJax.js
if [ -f "$mathjax" ]; then
    export SKTIMBRE_DOCS_MATHJAX="file://$mathjax?config=TeX-AMS-MML_HTMLorMML"
fi
python -m sphinx -W --keep-going -q -b html . "$preview"
browser="$(command -v chromium || command -v chromium-browser || command -v google-chrome)"
for page in index getting_started user_guide auto_examples/index \
            auto_examples/plot_embedding_map generated/sktimbre.MFCC api benchmark; do
    "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars \
        --allow-file-access-from-files --virtual-time-budget=5000 \
        --window-size=1280,"${HEIGHT:-2000}" --screenshot="$out/${page//\//_}.png" \
        "file://$preview/$page.html" >/dev/null 2>&1
    echo "$out/${page//\//_}.png"
done
