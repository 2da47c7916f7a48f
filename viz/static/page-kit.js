// What the pages that call the API from the browser share (the console, 模拟调整): elements made with
// textContent only, JSON calls with the login cookie and their Chinese error texts, and a network drawn inside the
// page by the network pages' own graph-page.js from a server answer {data, legend, notes, counts}.
(function () {
  "use strict";
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }
  function call(method, url, body) {
    var opts = { method: method, credentials: "same-origin", headers: {} };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    return fetch(url, opts).then(function (r) {
      if (r.status === 204) return { ok: true, status: 204, body: null, response: r };
      var type = r.headers.get("content-type") || "";
      if (r.ok && type.indexOf("application/json") < 0) return { ok: true, status: r.status, body: null, response: r };
      return r.json().then(
        function (j) { return { ok: r.ok, status: r.status, body: j, response: r }; },
        function () { return { ok: r.ok, status: r.status, body: { detail: "服务器的回答无法读取（" + r.status + "）" }, response: r }; }
      );
    }, function () {
      return { ok: false, status: 0, body: { detail: "无法连接服务器：请检查网络后重试。" } };
    });
  }
  function detail(res) {
    var d = res.body && res.body.detail;
    if (Array.isArray(d)) d = d.map(function (x) { return x.msg || JSON.stringify(x); }).join("；");
    return d || "（" + res.status + "）";
  }
  var HEADS = { 400: "查询有误", 401: "需要重新登录", 403: "不允许", 404: "找不到", 408: "查询超时", 409: "名称已被使用",
                413: "请求太大", 422: "参数有误", 429: "请稍后再试", 503: "数据库暂不可用" };
  // "head：detail" for a failed call; `heads` overrides some heads (status -> text).
  function problem(res, heads) {
    var head = (heads && heads[res.status]) || HEADS[res.status] || "出错了";
    return head + "：" + detail(res) + (res.status === 401 ? " 请重新登录后再试。" : "");
  }
  function legendList(items) {
    var aside = el("aside");
    aside.id = "legend";
    aside.appendChild(el("h3", "图例"));
    var ul = el("ul");
    items.forEach(function (item) {
      var li = el("li");
      var ring = item.border && item.color === "#ffffff";
      var sw = el("span", null, "sw " + (item.shape || "dot") + (item.kind === "edge" ? " edge" : "") + (item.dashed ? " dashed" : "") + (ring ? " ring" : ""));
      if (item.kind === "edge" && item.dashed) { // a dashed line: its top border, in the edge's colour
        sw.style.borderTop = "3px dashed " + item.color;
        sw.style.height = "0";
      } else sw.style.background = item.color;
      if (item.border) sw.style.borderColor = item.border;
      li.appendChild(sw);
      li.appendChild(document.createTextNode(item.text));
      ul.appendChild(li);
    });
    aside.appendChild(ul);
    return aside;
  }
  // Draw `g` (a server's {data, legend, notes, counts}) in `box` with graph-page.js (its URL: `graphJs`);
  // opts: label (for screen readers), empty (the text when there are no nodes), maxScale (no closer than this).
  function embedGraph(box, g, graphJs, opts) {
    var stage = el("div");
    stage.id = "stage";
    var canvas = el("div");
    canvas.id = "graph";
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", opts.label);
    stage.appendChild(canvas);
    if (g.legend.length) stage.appendChild(legendList(g.legend));
    var panel = el("aside");
    panel.id = "panel";
    panel.hidden = true;
    stage.appendChild(panel);
    var status = el("div", g.counts.nodes ? "正在布局…" : opts.empty);
    status.id = "status";
    stage.appendChild(status);
    var fit = el("button", "适应窗口");
    fit.id = "fit";
    fit.type = "button";
    stage.appendChild(fit);
    var notes = el("div");
    notes.id = "graph-notes";
    g.notes.forEach(function (n) { notes.appendChild(el("p", n, "note")); });
    stage.appendChild(notes);
    box.replaceChildren(stage);
    // The network pages' own script draws it, reading #graph-data as on every other page.
    var old = document.getElementById("graph-data");
    if (old) old.remove();
    var data = el("script", JSON.stringify(g.data));
    data.type = "application/json";
    data.id = "graph-data";
    document.body.appendChild(data);
    document.documentElement.removeAttribute("data-graph-ready");
    var s = el("script");
    s.src = graphJs;
    s.onload = function () {
      s.remove();
      // A handful of nodes fitted to the pane come out huge: no closer than the pages' usual scale.
      var wait = setInterval(function () {
        var w = window.orggraph;
        if (!w || !w.ready || !w.network) return;
        clearInterval(wait);
        if (w.network.getScale() > opts.maxScale) w.network.moveTo({ scale: opts.maxScale, animation: false });
      }, 50);
    };
    document.body.appendChild(s);
  }
  window.OrggraphKit = { el: el, call: call, detail: detail, problem: problem, legendList: legendList, embedGraph: embedGraph };
})();
