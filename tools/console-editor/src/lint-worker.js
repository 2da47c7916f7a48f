// The console's linter, in a worker: Neo4j's semantic analysis (part of @neo4j-cypher/language-support) is
// most of the package's weight, so it loads beside the page rather than before the editor can be used.
// Message in: {id, text, schema}; out: {id, diagnostics: [{from, to, severity, message}]}.
import { lintCypherQuery } from '@neo4j-cypher/language-support';

self.onmessage = (ev) => {
  const { id, text, schema } = ev.data;
  let diagnostics = [];
  try {
    diagnostics = lintCypherQuery(text, schema, { consoleCommandsEnabled: false }).diagnostics.map((d) => ({
      from: d.offsets.start,
      to: d.offsets.end,
      severity: d.severity,
      message: d.message,
    }));
  } catch (e) {
    diagnostics = [];
  }
  self.postMessage({ id, diagnostics });
};
