// The Cypher console's editor: CodeMirror 6 with Neo4j's own @neo4j-cypher/language-support doing the
// Cypher work (highlighting, autocompletion against the graph vocabulary, linting as one types). Built by
// build.sh into viz/static/cypher-editor.min.js, which defines `window.OrggraphCypherEditor`.
//
// Neo4j's CodeMirror integration (@neo4j-cypher/react-codemirror) needs React, and the registry this project
// uses only carries its 1.0 line, built on the older @neo4j-cypher/codemirror and not on language-support 2.0;
// so the integration is these few lines over CodeMirror 6 instead (see the README).
import { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap, startCompletion } from '@codemirror/autocomplete';
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { bracketMatching } from '@codemirror/language';
import { linter, lintGutter, forceLinting } from '@codemirror/lint';
import { EditorState, RangeSetBuilder, Compartment } from '@codemirror/state';
import { Decoration, EditorView, ViewPlugin, keymap, lineNumbers, placeholder, drawSelection, highlightActiveLine } from '@codemirror/view';
import { autocomplete, highlightSyntax } from '@neo4j-cypher/language-support';

// vscode-languageserver CompletionItemKind -> CodeMirror completion type (its icon and class).
// Labels and relationship types both come as TypeParameter (25); told apart by the schema below.
const KIND = { 2: 'method', 3: 'function', 6: 'variable', 10: 'property', 12: 'constant', 14: 'keyword', 15: 'text', 20: 'enum', 25: 'type' };
const KIND_ZH = { 2: '过程', 3: '函数', 6: '变量', 10: '属性', 12: '值', 14: '关键字', 15: '模式', 20: '选项' };

function detail(it, schema) {
  if (it.kind === 25) {
    const name = it.label.replace(/`/g, '');
    const rel = (schema.relationshipTypeNames || {})[name];
    const label = (schema.labelNames || {})[name];
    if (label && (!rel || /^[A-Z][a-z]/.test(name))) return `标签 · ${label}`;
    if (rel) return `关系类型 · ${rel}`;
    return '标签或关系类型';
  }
  return KIND_ZH[it.kind] || it.detail || '';
}

// Neo4j's messages, the common ones said in Chinese (the rest as Neo4j says them).
const MESSAGES = [
  [/^Label (.+) is not present in the database.*$/s, (m) => `标签 ${m[1]} 不在图模型中：请检查拼写（可用 Ctrl+空格 查看可用标签）。`],
  [/^Relationship type (.+) is not present in the database.*$/s, (m) => `关系类型 ${m[1]} 不在图模型中：请检查拼写（可用 Ctrl+空格 查看可用类型）。`],
  [/^Property (.+) is not present in the database.*$/s, (m) => `属性 ${m[1]} 不在图模型中：请检查拼写。`],
  [/^Parameter \$(.+) is not defined\.?$/s, (m) => `参数 $${m[1]} 未在“参数”面板中给出：请在参数 JSON 里加上 "${m[1]}"。`],
  [/^Invalid input '(.*)': expected (.*)$/s, (m) => `语法错误：此处不应是 '${m[1]}'，应为 ${m[2]}`],
];
function chinese(message) {
  for (const [re, f] of MESSAGES) {
    const m = re.exec(message);
    if (m) return f(m);
  }
  return message;
}

function decorations(text) {
  const builder = new RangeSetBuilder();
  let tokens = [];
  try {
    tokens = highlightSyntax(text, { consoleCommandsEnabled: false });
  } catch (e) {
    return builder.finish();
  }
  tokens.sort((a, b) => a.position.startOffset - b.position.startOffset);
  let last = -1;
  for (const t of tokens) {
    const from = t.position.startOffset;
    const to = from + t.length;
    if (t.tokenType === 'none' || from < last || to > text.length || to <= from) continue;
    builder.add(from, to, Decoration.mark({ class: `cm-cy-${t.tokenType}` }));
    last = to;
  }
  return builder.finish();
}

const highlighter = ViewPlugin.fromClass(
  class {
    constructor(view) { this.decorations = decorations(view.state.doc.toString()); }
    update(u) { if (u.docChanged) this.decorations = decorations(u.state.doc.toString()); }
  },
  { decorations: (v) => v.decorations },
);

function create(parent, options = {}) {
  let schema = { ...(options.schema || {}) };

  const completion = (ctx) => {
    const word = ctx.matchBefore(/[\p{L}\p{N}_$`]*/u);
    const explicit = ctx.explicit;
    const before = ctx.state.sliceDoc(Math.max(0, ctx.pos - 1), ctx.pos);
    if (!explicit && (!word || word.from === word.to) && !/[:.$({\s]/.test(before)) return null;
    let items = [];
    try {
      items = autocomplete(ctx.state.doc.toString(), schema, { caretPosition: ctx.pos, manual: explicit, consoleCommandsEnabled: false });
    } catch (e) {
      return null;
    }
    if (!items.length) return null;
    const from = word ? word.from + (word.text.startsWith('$') ? 1 : 0) : ctx.pos;
    return {
      from,
      options: items.map((it) => ({
        label: it.label,
        apply: it.insertText || it.label,
        type: KIND[it.kind] || 'text',
        detail: detail(it, schema),
        boost: it.kind === 25 || it.kind === 10 ? 1 : 0,
      })),
      validFor: /^[\p{L}\p{N}_`]*$/u,
    };
  };

  // Linting runs in a worker (cypher-lint-worker.min.js): one request at a time, the latest text wins.
  let worker = null;
  let seq = 0;
  const waiting = new Map();
  if (options.workerUrl && typeof Worker !== 'undefined') {
    try {
      worker = new Worker(options.workerUrl);
      worker.onmessage = (ev) => {
        const done = waiting.get(ev.data.id);
        waiting.delete(ev.data.id);
        if (done) done(ev.data.diagnostics);
      };
    } catch (e) {
      worker = null;
    }
  }
  const lintSource = (view) => {
    const text = view.state.doc.toString();
    if (!text.trim() || !worker) return [];
    const id = ++seq;
    for (const [k, done] of waiting) { waiting.delete(k); done(null); }
    return new Promise((resolve) => {
      waiting.set(id, (found) => {
        if (found === null || view.state.doc.toString() !== text) return resolve([]);
        const max = text.length;
        resolve(found.map((d) => ({
          from: Math.min(d.from, max),
          to: Math.min(Math.max(d.to, d.from), max),
          severity: d.severity === 1 && !/^Parameter \$/.test(d.message) ? 'error' : 'warning',
          message: chinese(d.message),
          source: 'Cypher',
        })));
      });
      worker.postMessage({ id, text, schema });
    });
  };

  const runKeys = keymap.of([
    { key: 'Mod-Enter', run: () => { if (options.onRun) options.onRun(); return true; } },
    { key: 'Shift-Enter', run: () => { if (options.onRun) options.onRun(); return true; } },
  ]);
  const lintCompartment = new Compartment();
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: options.doc || '',
      extensions: [
        runKeys,
        lineNumbers(),
        history(),
        drawSelection(),
        highlightActiveLine(),
        bracketMatching(),
        closeBrackets(),
        highlighter,
        autocompletion({ override: [completion], activateOnTyping: true, icons: true }),
        lintCompartment.of(linter(lintSource, { delay: 250 })),
        lintGutter(),
        placeholder(options.placeholder || ''),
        EditorView.lineWrapping,
        EditorView.contentAttributes.of({ 'aria-label': options.label || 'Cypher', spellcheck: 'false' }),
        keymap.of([...closeBracketsKeymap, ...defaultKeymap, ...historyKeymap, ...completionKeymap, indentWithTab]),
        EditorView.updateListener.of((u) => { if (u.docChanged && options.onChange) options.onChange(u.state.doc.toString()); }),
      ],
    }),
  });
  return {
    view,
    getValue: () => view.state.doc.toString(),
    setValue(text) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text || '' } });
    },
    // The parameters panel's names: `$x` then counts as defined.
    setParameters(params) {
      schema = { ...schema, parameters: { ...(params || {}) } };
      forceLinting(view);
    },
    focus: () => view.focus(),
    complete: () => startCompletion(view),
  };
}

window.OrggraphCypherEditor = { create };
