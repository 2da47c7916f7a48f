// orggraph network pages: draw the graph, stop physics once laid out, show a node's properties on click.
// Data comes from <script id="graph-data" type="application/json">; every text goes in through
// textContent, never innerHTML, so a name in the data cannot become markup.
(function () {
  "use strict";
  var state = (window.orggraph = { ready: false, ms: null, nodes: 0, edges: 0, physics: false });
  var t0 = performance.now();
  var data = JSON.parse(document.getElementById("graph-data").textContent);
  var status = document.getElementById("status");
  var nodes = new vis.DataSet(data.nodes);
  var edges = new vis.DataSet(data.edges);
  state.nodes = data.nodes.length;
  state.edges = data.edges.length;
  var container = document.getElementById("graph");
  var network = new vis.Network(container, { nodes: nodes, edges: edges }, data.options);
  state.network = network;
  state.nodeSet = nodes; // graph-tools.js adds to these (expand in place) and hides by kind (legend)
  state.edgeSet = edges;
  state.data = data;
  state.physics = !!(data.options.physics && data.options.physics.enabled);

  function readable() {
    // A tall tree fitted into the window has unreadable labels: start at a readable zoom on its first
    // root instead ("适应窗口" shows all of it).
    var v = data.view;
    if (!v || !v.focus || network.getScale() >= v.min_scale) return;
    network.focus(v.focus, {
      scale: v.scale,
      offset: { x: -container.clientWidth * 0.3, y: -container.clientHeight * 0.3 },
      animation: false
    });
  }
  function done() {
    if (state.ready) return;
    if (state.physics) network.setOptions({ physics: { enabled: false } });
    // Nodes held in place for the layout become draggable again.
    var held = nodes.get({ filter: function (n) { return n.fixed; }, fields: ["id"] });
    if (held.length) nodes.update(held.map(function (n) { return { id: n.id, fixed: false }; }));
    if (!state.physics && !data.view) network.fit({ animation: false }); // laid out by the server: show it all
    readable();
    state.ready = true;
    state.ms = Math.round(performance.now() - t0);
    if (status) status.hidden = true;
    document.documentElement.setAttribute("data-graph-ready", "1");
  }
  if (data.nodes.length === 0) {
    if (status) status.textContent = "没有可显示的节点。";
    state.ready = true;
    state.ms = 0;
    document.documentElement.setAttribute("data-graph-ready", "1");
  } else if (state.physics) {
    network.once("stabilizationIterationsDone", function () {
      done();
      network.fit({ animation: false });
    });
    network.on("stabilizationProgress", function (p) {
      if (status) status.textContent = "正在布局… " + Math.round((100 * p.iterations) / p.total) + "%";
    });
  } else {
    network.once("afterDrawing", done);
  }

  // ---------------------------------------------------------------- properties panel
  var panel = document.getElementById("panel");
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }
  function safeHref(h) {
    // Links are made by the server; accept only same-site paths and http(s) just in case.
    return typeof h === "string" && (h.charAt(0) === "/" || /^https?:\/\//.test(h)) ? h : null;
  }
  var PATH_KEY = "orggraph.pathFrom";
  function pathFrom() {
    try {
      return JSON.parse(window.localStorage.getItem(PATH_KEY) || "null");
    } catch (e) {
      return null;
    }
  }
  function show(node) {
    var info = node.info || {};
    panel.replaceChildren();
    var close = el("button", "×", "close");
    close.setAttribute("aria-label", "关闭");
    close.addEventListener("click", function () { panel.hidden = true; });
    panel.appendChild(close);
    panel.appendChild(el("h2", info.title || node.label));
    panel.appendChild(el("p", info.kind || "", "kind"));
    var props = info.props || [];
    if (props.length) {
      var table = el("table");
      props.forEach(function (kv) {
        var tr = el("tr");
        tr.appendChild(el("th", kv[0]));
        tr.appendChild(el("td", kv[1]));
        table.appendChild(tr);
      });
      panel.appendChild(table);
    }
    var list = el("ul", null, "links");
    (info.links || []).forEach(function (lk) {
      var li = el("li");
      var href = safeHref(lk.href);
      if (href) {
        var a = el("a", lk.text);
        a.href = href;
        li.appendChild(a);
      } else {
        li.appendChild(el("span", lk.text, "muted"));
      }
      list.appendChild(li);
    });
    if (info.key && data.linkable && safeHref(data.path_url)) {
      var from = pathFrom();
      if (from && from.key !== info.key) {
        var li2 = el("li");
        var a2 = el("a", "从「" + from.name + "」到这里的联系路径");
        a2.href = data.path_url + "?from=" + encodeURIComponent(from.key) + "&to=" + encodeURIComponent(info.key) +
          (data.as_of ? "&as_of=" + encodeURIComponent(data.as_of) : "");
        li2.appendChild(a2);
        list.appendChild(li2);
      }
      var li3 = el("li");
      var b = el("button", "设为联系路径的起点", "linkish");
      b.addEventListener("click", function () {
        try {
          window.localStorage.setItem(PATH_KEY, JSON.stringify({ key: info.key, name: info.title }));
          b.textContent = "已设为起点：再点击另一个节点，选“到这里的联系路径”";
        } catch (e) {
          b.textContent = "浏览器不允许保存起点";
        }
      });
      li3.appendChild(b);
      list.appendChild(li3);
    } else if (info.key && !data.linkable) {
      list.appendChild(el("li", "标识：" + info.key + "（导出文件不含跳转链接，可在系统中打开 /pages/ego/" + info.key + "）", "muted"));
    }
    if (typeof state.onPanel === "function") state.onPanel(node, list); // graph-tools.js: expand in place
    if (list.childNodes.length) panel.appendChild(list);
    panel.hidden = false;
  }
  network.on("click", function (params) {
    if (params.nodes && params.nodes.length) {
      show(nodes.get(params.nodes[0]));
    } else {
      panel.hidden = true;
    }
  });
  network.on("doubleClick", function (params) {
    if (!params.nodes || !params.nodes.length) return;
    var n = nodes.get(params.nodes[0]);
    var first = n.info && n.info.links && n.info.links[0];
    var href = first && safeHref(first.href);
    if (href) window.location.href = href;
  });
  var fit = document.getElementById("fit");
  if (fit) fit.addEventListener("click", function () { network.fit({ animation: false }); });
})();
