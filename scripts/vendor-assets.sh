#!/usr/bin/env bash
# Copy the front-end packages of package.json into cogest/static/vendor, so the app serves them
# itself (no CDN) and a newcomer needs only Python. Run via `make assets` after changing versions.
set -euo pipefail
cd "$(dirname "$0")/.."
npm ci --no-audit --no-fund
out=cogest/static/vendor
rm -rf "$out" && mkdir -p "$out/bootstrap" "$out/bootstrap-icons/fonts" "$out/htmx" "$out/chart.js" \
  "$out/cytoscape"
cp node_modules/bootstrap/dist/css/bootstrap.min.css "$out/bootstrap/"
cp node_modules/bootstrap/dist/js/bootstrap.bundle.min.js "$out/bootstrap/"
cp node_modules/bootstrap/LICENSE "$out/bootstrap/LICENSE"
cp node_modules/bootstrap-icons/font/bootstrap-icons.min.css "$out/bootstrap-icons/"
cp node_modules/bootstrap-icons/font/fonts/bootstrap-icons.woff2 "$out/bootstrap-icons/fonts/"
cp node_modules/bootstrap-icons/LICENSE "$out/bootstrap-icons/LICENSE"
cp node_modules/htmx.org/dist/htmx.min.js "$out/htmx/"
cp node_modules/htmx.org/LICENSE "$out/htmx/LICENSE"
# Chart.js: the UMD build bundles its one dependency (@kurkle/color); the SLA dashboards load it.
cp node_modules/chart.js/dist/chart.umd.min.js "$out/chart.js/"
cp node_modules/chart.js/LICENSE.md "$out/chart.js/LICENSE.md"
# Cytoscape.js: the UMD build (the global ``cytoscape``, no dependencies); the CI page's graph.
cp node_modules/cytoscape/dist/cytoscape.min.js "$out/cytoscape/"
cp node_modules/cytoscape/LICENSE "$out/cytoscape/LICENSE"
# The icon font's CSS also names a .woff fallback; every browser we support reads woff2.
sed -i -E 's|,url\("fonts/bootstrap-icons\.woff\?[^"]*"\) format\("woff"\)||' "$out/bootstrap-icons/bootstrap-icons.min.css"
node -e 'const p=require("./package.json");console.log(Object.entries(p.dependencies).map(([k,v])=>k+"@"+v).join("\n"))' > "$out/VERSIONS"
echo "vendored into $out:"; cat "$out/VERSIONS"
