#!/usr/bin/env bash
# Vendors Swagger UI and ReDoc for /docs and /redoc into api/static, reproducibly: pinned npm versions, the
# tarballs checked against their sha256, source-map lines dropped (no browser asks for a missing .map).
# The pages are served on intranets without internet: no CDN. See api/static/VENDORED.md.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=api/static
SWAGGER=swagger-ui-dist@5.35.0
SWAGGER_SHA=1b8e891893404ea4c3558b6a87e2a3e494e7eedba41168c2ece5800a391a6ea6
REDOC=redoc@2.5.4
REDOC_SHA=44922df4d0eb45c1b066c09ec251e6bd9bd7ded16bc69e87613337b9d911a56e

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fetch() {  # package@version sha256 -> extracted folder
    local tgz
    tgz=$(cd "$tmp" && npm pack "$1" --silent)
    echo "$2  $tmp/$tgz" | sha256sum -c --quiet -
    mkdir -p "$tmp/${1%@*}"
    tar -xzf "$tmp/$tgz" -C "$tmp/${1%@*}"
    echo "$tmp/${1%@*}/package"
}
strip_map() { grep -Ev '^(//# sourceMappingURL=.*|/\*# sourceMappingURL=.*\*/)$' "$1" > "$2"; }  # only the last-line comment

s=$(fetch "$SWAGGER" "$SWAGGER_SHA")
strip_map "$s/swagger-ui-bundle.js" "$OUT/swagger-ui-bundle.js"
strip_map "$s/swagger-ui.css" "$OUT/swagger-ui.css"
cp "$s/LICENSE" "$OUT/swagger-ui.LICENSE-APACHE-2.0"
cp "$s/NOTICE" "$OUT/swagger-ui.NOTICE"
cp "$s/swagger-ui-bundle.js.LICENSE.txt" "$OUT/swagger-ui-bundle.js.LICENSE.txt"

r=$(fetch "$REDOC" "$REDOC_SHA")
strip_map "$r/bundles/redoc.standalone.js" "$tmp/redoc.js"
# ReDoc's sidebar shows Redocly's logo from their CDN: an empty data: image instead (ReDoc hides an image that
# fails to load), so the page asks nothing of the internet and breaks no Content-Security-Policy.
n=$(grep -o 'src:"https://cdn.redoc.ly/redoc/logo-mini.svg"' "$tmp/redoc.js" | wc -l)
[ "$n" = 1 ] || { echo "expected the CDN logo once in redoc.standalone.js, found $n" >&2; exit 1; }
sed 's|src:"https://cdn.redoc.ly/redoc/logo-mini.svg"|src:"data:,"|' "$tmp/redoc.js" > "$OUT/redoc.standalone.js"
cp "$r/LICENSE" "$OUT/redoc.LICENSE-MIT"
cp "$r/bundles/redoc.standalone.js.LICENSE.txt" "$OUT/redoc.standalone.js.LICENSE.txt"
(cd "$OUT" && sha256sum swagger-ui-bundle.js swagger-ui.css redoc.standalone.js)
