// Lints Cypher statements offline with Neo4j's own front end (@neo4j-cypher/language-support).
//
// stdin:  {"schema": DbSchema, "statements": [{"name": "...", "text": "..."}]}
// stdout: one JSON object per statement, in input order:
//   {"name", "errors": [D], "warnings": [D], "parameters": ["rows", ...]}
//   D = {"message", "line", "col", "kind"}  (line and col 1-based)
//   error kinds: error (Neo4j's own), multiple-statements, crash
//   warning kinds: unknown-name (label, relationship type), unknown-property, schema-path (against
//   graphSchema), deprecated, hint (performance advice; also the old `CALL { WITH x }` form)
//
// What is added around lintCypherQuery, and why:
// - If the schema has no `functions` / `procedures`, Neo4j's built-in catalogue shipped in the
//   pinned package (its `testData.mockSchema`, dumped from a real server) is used, minus APOC and
//   GDS: without a catalogue the linter checks no function or procedure name at all, so a
//   FalkorDB-only function (toJSON, list.*) or procedure (db.idx.*) would pass.
// - "Parameter $x is not defined." is dropped: values always arrive as parameters, which the
//   schema cannot list per statement. The names are reported in `parameters` instead.
// - A text holding more than one statement, or ending with ';', is an error: both drivers run one
//   statement per call, and FalkorDB refuses even `RETURN 1;\n` as two.
// - Unknown-property warnings the package charges to the wrong variable are dropped (see
//   misattributedProperty).
// - Console commands (`:param`, `:use`) are off: drivers do not understand them.
// - Statements are spread over worker threads (CYPHERLINT_WORKERS, default: cores, at most 4):
//   Neo4j's semantic analysis costs ~50-150 ms per statement.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import {
  lintCypherQuery,
  parseStatementsStrs,
  testData,
} from '@neo4j-cypher/language-support';

const SEVERITY_ERROR = 1;
const PARAM_RE = /^Parameter \$(.+) is not defined\.$/;
const NOT_PRESENT = " is not present in the database. Make sure you didn't misspell it";

// Which warnings are which; the Python side decides which kinds fail a test.
function warningKind(message) {
  if (/^(Label|Relationship type) .+ is not present in the database/.test(message)) return 'unknown-name';
  if (message.includes(NOT_PRESENT) && !/^(Function|Procedure) /.test(message)) return 'unknown-property';
  // graphSchema path checks: "[:R] has no incoming (:L)", "(:L) has no outgoing [:R]"
  if (/^(\[:.*\]|\(:.*\)) has no (incoming |outgoing |incoming\/outgoing )?[[(]:/.test(message)) return 'schema-path';
  // FalkorDB has no variable scope clause (`CALL (x) { ... }`), so statements both backends run
  // must keep `CALL { WITH x ... }`; Cypher 25 still accepts it.
  if (message.startsWith('CALL subquery without a variable scope clause is deprecated')) return 'hint';
  if (/deprecated/i.test(message)) return 'deprecated';
  return 'hint';
}

// Works around a bug in the package's property check: inside a node or relationship pattern, every
// property key is charged to the pattern's variable, so `(a:Person {pid: row.x})` reports `x` as an
// unknown property of `a`. For a key written as `expr.key`, apply the package's own rule to the
// right variable instead: warn only when `expr` is a variable that is a node or relationship.
const IDENT_BEFORE = /(?:`((?:[^`]|``)+)`|([\p{L}_][\p{L}\p{N}_]*))\s*$/u;
function misattributedProperty(d, text, symbolTable) {
  let i = d.offsets.start - 1;
  while (i >= 0 && /\s/.test(text[i])) i--;
  if (text[i] !== '.') return false; // a map key: `{pid: ...}`, charged to the right variable
  const m = IDENT_BEFORE.exec(text.slice(0, i));
  if (!m) return true; // `f(x).key`, `a.b.key`: the package does not check these either
  const start = m.index;
  const name = m[1] !== undefined ? m[1].replace(/``/g, '`') : m[2];
  const symbol =
    symbolTable.find((s) => s.references.includes(start)) ?? symbolTable.find((s) => s.variable === name);
  const nodeOrRel =
    symbol !== undefined && symbol.types.length > 0 && symbol.types.every((t) => t === 'Node' || t === 'Relationship');
  return !nodeOrRel;
}

function builtinCatalogue() {
  const isNeo4jOwn = (name) => !/^(apoc|gds)\./.test(name);
  const functions = {};
  const procedures = {};
  for (const [version, registry] of Object.entries(testData.mockSchema.functions ?? {})) {
    functions[version] = Object.fromEntries(
      Object.entries(registry).filter(([name, f]) => f.isBuiltIn && isNeo4jOwn(name)),
    );
  }
  for (const [version, registry] of Object.entries(testData.mockSchema.procedures ?? {})) {
    procedures[version] = Object.fromEntries(Object.entries(registry).filter(([name]) => isNeo4jOwn(name)));
  }
  return { functions, procedures };
}

function completeSchema(schema) {
  const out = { ...schema };
  if (out.functions === undefined || out.procedures === undefined) {
    const cat = builtinCatalogue();
    out.functions ??= cat.functions;
    out.procedures ??= cat.procedures;
  }
  out.defaultLanguage ??= 'CYPHER 5';
  return out;
}

function diagnostic(d, kind) {
  return { message: d.message, line: d.range.start.line + 1, col: d.range.start.character + 1, kind };
}

function lintOne(name, text, schema) {
  const errors = [];
  const warnings = [];
  const parameters = [];
  const pieces = parseStatementsStrs(text);
  if (pieces.length > 1) {
    errors.push({
      message: `${pieces.length} statements in one text; drivers run one statement per call`,
      line: 1,
      col: 1,
      kind: 'multiple-statements',
    });
  } else if (pieces.length === 1 && pieces[0].trimEnd().endsWith(';')) {
    errors.push({
      message: "statement ends with ';': leave it out (FalkorDB takes anything after it, even a newline, for a second statement)",
      line: 1,
      col: 1,
      kind: 'multiple-statements',
    });
  }
  let result;
  try {
    result = lintCypherQuery(text, schema, { consoleCommandsEnabled: false });
  } catch (e) {
    errors.push({ message: `linter crashed: ${e?.stack ?? e}`, line: 1, col: 1, kind: 'crash' });
    return { name, errors, warnings, parameters };
  }
  const symbols = result.symbolTables.flat();
  for (const d of result.diagnostics) {
    const param = PARAM_RE.exec(d.message);
    if (param) {
      if (!parameters.includes(param[1])) parameters.push(param[1]);
      continue;
    }
    if (d.severity === SEVERITY_ERROR) {
      errors.push(diagnostic(d, 'error'));
      continue;
    }
    const kind = warningKind(d.message);
    if (kind === 'unknown-property' && d.offsets && misattributedProperty(d, text, symbols)) continue;
    warnings.push(diagnostic(d, kind));
  }
  return { name, errors, warnings, parameters };
}

function lintAll(statements, schema) {
  return statements.map(({ name, text }) => lintOne(name, text, schema));
}

function workerCount(n) {
  const env = Number.parseInt(process.env.CYPHERLINT_WORKERS ?? '', 10);
  const wanted = Number.isFinite(env) && env > 0 ? env : Math.min(availableParallelism(), 4);
  // Each worker pays ~1.5 s to load the front end: not worth it for a handful of statements.
  return Math.max(1, Math.min(wanted, Math.floor(n / 20)));
}

async function main() {
  const input = JSON.parse(readFileSync(0, 'utf8'));
  const statements = input.statements ?? [];
  const schema = completeSchema(input.schema ?? {});
  const workers = workerCount(statements.length);
  let results;
  if (workers <= 1) {
    results = lintAll(statements, schema);
  } else {
    // Interleaved shares, so long statements declared together do not all land on one worker.
    const shares = Array.from({ length: workers }, (_, w) =>
      statements.map((s, i) => [i, s]).filter(([i]) => i % workers === w),
    );
    results = new Array(statements.length);
    await Promise.all(
      shares.map(
        (share) =>
          new Promise((resolve, reject) => {
            const worker = new Worker(new URL(import.meta.url), {
              workerData: { statements: share.map(([, s]) => s), schema },
            });
            let done = false;
            worker.once('message', (out) => {
              share.forEach(([i], k) => (results[i] = out[k]));
              done = true;
              resolve();
            });
            worker.once('error', reject);
            worker.once('exit', (code) => done || reject(new Error(`worker exited with ${code} before answering`)));
          }),
      ),
    );
  }
  process.stdout.write(results.map((r) => JSON.stringify(r) + '\n').join(''));
}

if (isMainThread) {
  main().catch((e) => {
    process.stderr.write(`cypherlint: ${e?.stack ?? e}\n`);
    process.exit(2);
  });
} else {
  parentPort.postMessage(lintAll(workerData.statements, workerData.schema));
}
