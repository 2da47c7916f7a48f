#!/bin/sh
# Rebuilds viz/static/cypher-editor.min.js (the console's editor), cypher-lint-worker.min.js (its linter) and
# their licences, from package-lock.json.
# Only for updating the asset: the built file is committed, and nothing at run or test time calls npm.
#   tools/console-editor/build.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
static="$here/../../viz/static"
cd "$here"
npm ci --no-audit --no-fund
# --legal-comments=none: the licences are written beside the asset below, whole.
for entry in editor lint-worker; do
    out=$([ "$entry" = editor ] && echo cypher-editor.min.js || echo cypher-lint-worker.min.js)
    node_modules/.bin/esbuild "src/$entry.js" --bundle --minify --format=iife --target=es2020 \
        --legal-comments=none --charset=utf8 --log-level=warning --outfile="$static/$out"
done
node - "$static/cypher-editor.LICENSES.txt" <<'JS'
// One file with the licence of every package that went into the bundle (esbuild's metafile would say the
// same; the lock file lists exactly what was installed).
const fs = require('fs');
const path = require('path');
const lock = JSON.parse(fs.readFileSync('package-lock.json', 'utf8'));
const out = ['Licences of the packages bundled into cypher-editor.min.js and cypher-lint-worker.min.js (from tools/console-editor/package-lock.json).', ''];
for (const [where, info] of Object.entries(lock.packages).sort()) {
  if (!where || info.dev || where.includes('esbuild')) continue;
  const dir = path.join(process.cwd(), where);
  const file = fs.readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f));
  const name = where.replace(/^.*node_modules\//, '');
  out.push('='.repeat(78), `${name} ${info.version} — ${info.license || 'see below'}`, '='.repeat(78));
  out.push(file ? fs.readFileSync(path.join(dir, file), 'utf8').trim() : `(no licence file in the package; licence field: ${info.license})`, '');
}
fs.writeFileSync(process.argv[2], out.join('\n') + '\n');
JS
sha256sum "$static/cypher-editor.min.js" "$static/cypher-lint-worker.min.js"
