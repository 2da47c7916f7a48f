// The Cypher console (/pages/cypher): the editor, the parameters, results as a table and as a graph, export,
// EXPLAIN, saved queries, history and share links. Every run goes to POST /api/cypher like any other client;
// the graph view is drawn by the network pages' own graph-page.js. Texts go in through textContent only.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("console-config").textContent);
  var graphJs = document.currentScript.getAttribute("data-graph-js");
  var $ = function (id) { return document.getElementById(id); };
  var state = (window.orggraphConsole = { columns: [], rows: [], truncated: false, sort: null, page: 0, ran: null, busy: false });
  var PAGE_ROWS = 50;

  var kit = window.OrggraphKit; // page-kit.js
  var el = kit.el, call = kit.call;
  function say(text, kind) {
    var m = $("message");
    m.className = kind || "ok";
    m.textContent = text || "";
  }

  // ------------------------------------------------------------------ editor and parameters
  var editor = window.OrggraphCypherEditor.create($("editor"), {
    doc: "",
    schema: config.schema,
    workerUrl: config.worker,
    label: "Cypher 查询",
    placeholder: "例如：" + config.example,
    onRun: function () { run(); },
  });
  state.editor = editor;

  function params() {
    var text = $("params").value.trim();
    if (!text) return {};
    var v = JSON.parse(text);
    if (v === null || typeof v !== "object" || Array.isArray(v)) throw new Error("参数应是一个 JSON 对象，例如 {\"code\": \"520603001001001\"}");
    return v;
  }
  function checkParams() {
    try {
      var p = params();
      $("params").classList.remove("bad");
      $("params-error").textContent = "";
      editor.setParameters(p);
      return p;
    } catch (e) {
      $("params").classList.add("bad");
      $("params-error").textContent = "参数不是有效的 JSON：" + e.message;
      return null;
    }
  }
  $("params").addEventListener("input", checkParams);
  function fill(query, p) {
    editor.setValue(query || "");
    $("params").value = JSON.stringify(p || {}, null, 1);
    checkParams();
    editor.focus();
  }

  // ------------------------------------------------------------------ calls
  function problem(res) { return kit.problem(res); }
  function request() {
    var p = checkParams();
    var query = editor.getValue();
    if (p === null) return null;
    if (!query.trim()) {
      say("请先写一条 Cypher 查询。", "error");
      return null;
    }
    return { query: query, params: p };
  }
  function busy(on) {
    state.busy = on;
    ["run", "explain"].forEach(function (id) { $(id).disabled = on; });
  }

  // ------------------------------------------------------------------ run
  function run() {
    var body = request();
    if (!body || state.busy) return;
    busy(true);
    say("正在运行…", "ok");
    var t0 = performance.now();
    call("POST", "/api/cypher", body).then(function (res) {
      busy(false);
      loadHistory();
      if (!res.ok) {
        say(problem(res), "error");
        return;
      }
      state.ran = body;
      state.columns = res.body.columns;
      state.rows = res.body.rows;
      state.truncated = res.body.truncated;
      state.sort = null;
      state.page = 0;
      state.graphFor = null;
      var ms = Math.round(performance.now() - t0);
      if (state.truncated) {
        say("结果超过服务器的行数上限，只返回了前 " + state.rows.length.toLocaleString() + " 行（表格、关系图和导出都只含这些）。请加条件或 LIMIT 缩小范围。", "note");
      } else {
        say(state.rows.length.toLocaleString() + " 行，" + ms + " 毫秒。", "ok");
      }
      $("export-csv").disabled = $("export-xlsx").disabled = false;
      drawTable();
      if (current() === "graph") drawGraph();
    });
  }
  $("run").addEventListener("click", run);

  // ------------------------------------------------------------------ table
  function isNode(v) { return v && typeof v === "object" && Array.isArray(v.labels) && v.properties; }
  function isRel(v) { return v && typeof v === "object" && typeof v.type === "string" && v.properties && "start" in v; }
  function isPath(v) { return v && typeof v === "object" && Array.isArray(v.nodes) && Array.isArray(v.relationships); }
  var COLORS = config.colors || {};
  function nodeText(v) {
    var p = v.properties || {};
    var name = p.name || p.code || p.pid || p.key || "";
    var code = p.code || p.pid || p.key || "";
    return name + (code && code !== name ? "（" + code + "）" : "");
  }
  function cellText(v) {
    if (v === null || v === undefined) return "";
    if (isNode(v)) return "(:" + v.labels.join(":") + ") " + nodeText(v);
    if (isRel(v)) return "[:" + v.type + "]" + (v.properties.role ? " " + v.properties.role : "");
    if (isPath(v)) return "路径：" + v.nodes.map(nodeText).join(" → ");
    if (typeof v === "object") return JSON.stringify(v);
    return String(v);
  }
  function cell(v) {
    var td = el("td");
    if (isNode(v)) {
      v.labels.forEach(function (l) {
        var t = el("span", (config.schema.labelNames || {})[l] || l, "tag");
        t.style.background = COLORS[l] || "#6c757d";
        td.appendChild(t);
      });
      td.appendChild(document.createTextNode(nodeText(v)));
      td.title = JSON.stringify(v.properties);
    } else {
      td.textContent = cellText(v);
      if (v !== null && typeof v === "object") td.title = JSON.stringify(v);
    }
    return td;
  }
  function sortKey(v) {
    if (typeof v === "number") return v;
    return cellText(v);
  }
  function sortedRows() {
    var rows = state.rows.slice();
    if (!state.sort) return rows;
    var i = state.sort.col, dir = state.sort.dir;
    rows.sort(function (a, b) {
      var x = sortKey(a[i]), y = sortKey(b[i]);
      var c = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y), "zh-CN", { numeric: true });
      return dir * c;
    });
    return rows;
  }
  function drawTable() {
    var pane = $("table-pane");
    pane.replaceChildren();
    if (!state.columns.length) {
      pane.appendChild(el("p", "没有结果列。", "empty"));
      return;
    }
    if (!state.rows.length) {
      pane.appendChild(el("p", "查询没有返回任何行。", "empty"));
    }
    var pages = Math.max(1, Math.ceil(state.rows.length / PAGE_ROWS));
    state.page = Math.min(state.page, pages - 1);
    var table = el("table");
    var head = el("tr");
    state.columns.forEach(function (c, i) {
      var th = el("th", c);
      th.setAttribute("aria-sort", state.sort && state.sort.col === i ? (state.sort.dir > 0 ? "ascending" : "descending") : "none");
      th.title = "点击排序";
      th.addEventListener("click", function () {
        state.sort = state.sort && state.sort.col === i ? { col: i, dir: -state.sort.dir } : { col: i, dir: 1 };
        state.page = 0;
        drawTable();
      });
      head.appendChild(th);
    });
    var thead = el("thead");
    thead.appendChild(head);
    table.appendChild(thead);
    var tbody = el("tbody");
    sortedRows().slice(state.page * PAGE_ROWS, (state.page + 1) * PAGE_ROWS).forEach(function (r) {
      var tr = el("tr");
      r.forEach(function (v) { tr.appendChild(cell(v)); });
      tbody.appendChild(tr);
    });
    table.appendChild(tbody);
    if (state.rows.length) pane.appendChild(table);
    if (pages > 1) {
      var pager = el("div", null);
      pager.id = "pager";
      var prev = el("button", "上一页");
      prev.type = "button";
      prev.disabled = state.page === 0;
      prev.addEventListener("click", function () { state.page -= 1; drawTable(); });
      var next = el("button", "下一页");
      next.type = "button";
      next.disabled = state.page >= pages - 1;
      next.addEventListener("click", function () { state.page += 1; drawTable(); });
      pager.appendChild(prev);
      pager.appendChild(el("span", "第 " + (state.page + 1) + " / " + pages + " 页，共 " + state.rows.length.toLocaleString() + " 行", "pageinfo"));
      pager.appendChild(next);
      pane.appendChild(pager);
    }
  }

  // ------------------------------------------------------------------ export (runs the query again, as POST /api/cypher does)
  function exportAs(format) {
    var body = state.ran;
    if (!body) return;
    say("正在导出 ." + format + " …", "ok");
    fetch("/api/cypher/export?format=" + format, {
      method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    }).then(function (r) {
      if (!r.ok) return r.json().then(function (j) { say(problem({ status: r.status, body: j }), "error"); }, function () { say("导出失败（" + r.status + "）", "error"); });
      var capped = r.headers.get("X-Orggraph-Truncated") === "true";
      return r.blob().then(function (blob) {
        var a = el("a");
        a.href = URL.createObjectURL(blob);
        a.download = "查询结果." + format;
        document.body.appendChild(a);
        a.click();
        setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
        say("已导出 ." + format + (capped ? "（结果超过行数上限，只含前若干行，文件末行有说明）" : ""), capped ? "note" : "ok");
      });
    }, function () { say("无法连接服务器：导出失败。", "error"); });
  }
  $("export-csv").addEventListener("click", function () { exportAs("csv"); });
  $("export-xlsx").addEventListener("click", function () { exportAs("xlsx"); });

  // ------------------------------------------------------------------ tabs and graph
  var TABS = { table: "table-pane", graph: "graph-pane", plan: "plan-pane" };
  function current() {
    for (var k in TABS) if ($("tab-" + k).getAttribute("aria-selected") === "true") return k;
    return "table";
  }
  function show(name) {
    Object.keys(TABS).forEach(function (k) {
      $("tab-" + k).setAttribute("aria-selected", k === name ? "true" : "false");
      $(TABS[k]).hidden = k !== name;
    });
    if (name === "graph") drawGraph();
  }
  Object.keys(TABS).forEach(function (k) { $("tab-" + k).addEventListener("click", function () { show(k); }); });

  function drawGraph() {
    var pane = $("graph-pane");
    if (!state.ran) {
      pane.replaceChildren(el("p", "运行查询后，这里画出结果中的节点、关系和路径。", "empty"));
      return;
    }
    if (state.graphFor === state.rows) return;
    state.graphFor = state.rows;
    pane.replaceChildren(el("p", "正在准备关系图…", "empty"));
    call("POST", "/pages/cypher/graph", { rows: state.rows }).then(function (res) {
      if (!res.ok) {
        pane.replaceChildren(el("p", problem(res), "error"));
        return;
      }
      var g = res.body;
      state.graph = g.counts;
      kit.embedGraph(pane, g, graphJs, {
        label: "查询结果关系图",
        empty: "结果中没有节点或关系可画：请 RETURN 节点、关系或路径（例如 RETURN g, r, p）。",
        maxScale: 1
      });
    });
  }

  // ------------------------------------------------------------------ EXPLAIN
  function explain() {
    var body = request();
    if (!body || state.busy) return;
    busy(true);
    call("POST", "/api/cypher/explain", body).then(function (res) {
      busy(false);
      var pane = $("plan-pane");
      pane.replaceChildren();
      show("plan");
      if (!res.ok) {
        pane.appendChild(el("p", problem(res), "error"));
        return;
      }
      if (res.body.warning) pane.appendChild(el("p", res.body.warning, "note"));
      else pane.appendChild(el("p", "执行计划没有整个标签的扫描：查询从索引（编码或人员标识）开始。", "ok"));
      var ol = el("ol");
      var scans = res.body.full_scans;
      res.body.plan.forEach(function (line) {
        ol.appendChild(el("li", line, scans.indexOf(line) >= 0 ? "scan" : ""));
      });
      pane.appendChild(ol);
      say("执行计划（未运行查询）。", "ok");
    });
  }
  $("explain").addEventListener("click", explain);

  // ------------------------------------------------------------------ library: saved, history, templates
  function item(list, opts) {
    var li = el("li", null, opts.cls || "");
    var open = el("button", opts.title, "open");
    open.type = "button";
    open.addEventListener("click", opts.open);
    li.appendChild(open);
    if (opts.del) {
      var d = el("button", "删除", "del");
      d.type = "button";
      d.title = "删除这个保存的查询";
      d.addEventListener("click", opts.del);
      li.appendChild(d);
    }
    if (opts.purpose) li.appendChild(el("span", opts.purpose, "purpose"));
    if (opts.code) li.appendChild(el("code", opts.code));
    if (opts.meta) li.appendChild(el("span", opts.meta, "meta"));
    list.appendChild(li);
  }
  function loadSaved() {
    return call("GET", "/api/saved-queries").then(function (res) {
      var ul = $("saved");
      ul.replaceChildren();
      if (!res.ok) { ul.appendChild(el("li", problem(res), "muted")); return; }
      var qs = res.body.queries;
      $("saved-count").textContent = qs.length ? qs.length + " 个" : "";
      if (!qs.length) ul.appendChild(el("li", "还没有保存的查询：写好查询后点“保存”。", "muted"));
      qs.forEach(function (q) {
        var mine = q.owner === config.user;
        item(ul, {
          title: q.name,
          purpose: q.description || "",
          code: q.query,
          meta: (mine ? "" : q.owner + " 的 · ") + "保存于 " + q.created.replace("T", " ").slice(0, 16),
          open: function () { fill(q.query, q.params); say("已打开保存的查询“" + q.name + "”：点“运行”执行。", "ok"); },
          del: function () {
            if (!window.confirm("删除保存的查询“" + q.name + "”？")) return;
            var url = "/api/saved-queries/" + encodeURIComponent(q.name) + (mine ? "" : "?owner=" + encodeURIComponent(q.owner));
            call("DELETE", url).then(function (r) {
              if (!r.ok) say(problem(r), "error"); else say("已删除“" + q.name + "”。", "ok");
              loadSaved();
            });
          },
        });
      });
    });
  }
  function loadHistory() {
    return call("GET", "/api/cypher/history?limit=30").then(function (res) {
      var ul = $("history");
      ul.replaceChildren();
      if (!res.ok) { ul.appendChild(el("li", problem(res), "muted")); return; }
      if (!res.body.runs.length) ul.appendChild(el("li", "还没有运行过查询。", "muted"));
      res.body.runs.forEach(function (r) {
        var when = r.at.replace("T", " ").slice(5, 16);
        item(ul, {
          cls: r.ok ? "" : "failed",
          title: when + (r.ok ? " · " + r.rows + " 行" : " · 未成功"),
          code: r.query,
          open: function () { fill(r.query, r.params); say("已从历史中打开：点“运行”执行。", "ok"); },
        });
      });
    });
  }
  function loadTemplates() {
    return call("GET", "/api/queries").then(function (res) {
      var ul = $("templates");
      ul.replaceChildren();
      if (!res.ok) { ul.appendChild(el("li", problem(res), "muted")); return; }
      res.body.queries.forEach(function (q) {
        var p = {};
        q.params.forEach(function (x) { p[x.name] = x.default !== null && x.default !== undefined ? x.default : ""; });
        item(ul, {
          title: q.name,
          purpose: q.purpose,
          open: function () { fill(q.text, p); say("已填入模板“" + q.name + "”：请在参数里填好值后运行。", "ok"); },
        });
      });
    });
  }

  // ------------------------------------------------------------------ save
  var dialog = $("save-dialog");
  $("save").addEventListener("click", function () {
    if (!request()) return;
    $("save-error").textContent = "";
    dialog.showModal();
    $("save-name").focus();
  });
  $("save-cancel").addEventListener("click", function () { dialog.close(); });
  $("save-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var body = request();
    if (!body) { dialog.close(); return; }
    body.name = $("save-name").value.trim();
    body.description = $("save-description").value.trim();
    if (!body.name) { $("save-error").textContent = "请填写名称。"; return; }
    call("POST", "/api/saved-queries", body).then(function (res) {
      if (!res.ok) { $("save-error").textContent = problem(res); return; }
      dialog.close();
      say("已保存为“" + body.name + "”。", "ok");
      loadSaved();
    });
  });

  // ------------------------------------------------------------------ share: a link that fills the console in and never runs
  $("share").addEventListener("click", function () {
    var body = request();
    if (!body) return;
    // In the fragment: it never reaches the server, so the query is not in any log on the way.
    var url = location.origin + location.pathname + "#q=" + encodeURIComponent(body.query) +
      (Object.keys(body.params).length ? "&p=" + encodeURIComponent(JSON.stringify(body.params)) : "");
    var box = $("share-url");
    box.value = url;
    box.hidden = false;
    box.select();
    var done = function () { say("分享链接已复制。打开它的人会看到填好的查询，自己点“运行”才会执行（按其本人的权限）。", "ok"); };
    if (navigator.clipboard && navigator.clipboard.writeText) navigator.clipboard.writeText(url).then(done, function () { say("分享链接在右边的框里：请复制。打开它只会填好查询，不会运行。", "ok"); });
    else say("分享链接在右边的框里：请复制。打开它只会填好查询，不会运行。", "ok");
  });
  function fromLink() {
    var h = location.hash.replace(/^#/, "");
    if (!h) return false;
    var q = null, p = {};
    h.split("&").forEach(function (kv) {
      var i = kv.indexOf("=");
      var k = kv.slice(0, i), v = decodeURIComponent(kv.slice(i + 1));
      if (k === "q") q = v;
      if (k === "p") {
        try { p = JSON.parse(v); } catch (e) { p = {}; }
      }
    });
    if (q === null) return false;
    fill(q, p);
    say("已按分享链接填好查询：检查后点“运行”执行。", "note");
    return true;
  }

  if (!fromLink()) fill(config.example, { code: "" });
  window.addEventListener("hashchange", fromLink);
  loadSaved();
  loadHistory();
  loadTemplates();
  state.ready = true;
  document.documentElement.setAttribute("data-console-ready", "1");
})();
