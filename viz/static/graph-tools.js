// orggraph network pages, tools around the drawing of graph-page.js (loaded after it):
// - the legend toggles node and edge kinds (click an entry to hide or show that kind);
// - "导出图片" saves the canvas as a PNG, on white, with the title and the legend drawn in;
// - a node or a counted group node expands in place from GET /api/graph/neighbourhood: new nodes are put
//   next to what was expanded and nothing already drawn moves (physics stays off), as in Neo4j Bloom.
// Every text goes in through textContent, never innerHTML.
(function () {
  "use strict";
  var state = window.orggraph;
  if (!state || !state.network) return;
  var network = state.network;
  var nodes = state.nodeSet;
  var edges = state.edgeSet;
  var data = state.data || {};
  var PAGE = 50; // members of a group opened per click
  state.expanded = 0;

  // ------------------------------------------------------------------ legend filters
  var off = {};
  state.hiddenKinds = off;
  function refresh() {
    nodes.update(nodes.get({ fields: ["id", "kind_key"] }).map(function (n) {
      return { id: n.id, hidden: !!off[n.kind_key] };
    }));
    edges.update(edges.get({ fields: ["id", "kind_key"] }).map(function (e) {
      return { id: e.id, hidden: !!off[e.kind_key] };
    }));
  }
  Array.prototype.forEach.call(document.querySelectorAll("#legend li[data-key]"), function (li) {
    function toggle() {
      var key = li.getAttribute("data-key");
      off[key] = !off[key];
      li.classList.toggle("off", off[key]);
      li.setAttribute("aria-pressed", off[key] ? "false" : "true");
      refresh();
    }
    li.addEventListener("click", toggle);
    li.addEventListener("keydown", function (ev) {
      if (ev.key === "Enter" || ev.key === " ") {
        ev.preventDefault();
        toggle();
      }
    });
  });

  // ------------------------------------------------------------------ PNG export
  function fileName() {
    var t = (document.title || "关系图").split(" · ")[0];
    return t.replace(/[\\/:*?"<>|\s]+/g, "_") + ".png";
  }
  function legendRows() {
    var rows = [];
    Array.prototype.forEach.call(document.querySelectorAll("#legend li"), function (li) {
      if (li.classList.contains("off")) return;
      var sw = li.querySelector(".sw");
      rows.push({ text: li.textContent.trim(), color: sw ? sw.style.background : "#888", edge: sw && sw.classList.contains("edge") });
    });
    return rows;
  }
  function png(done) {
    var src = document.querySelector("#graph canvas");
    if (!src) return;
    var ratio = src.width / (src.clientWidth || src.width);
    var head = Math.round(36 * ratio);
    var c = document.createElement("canvas");
    c.width = src.width;
    c.height = src.height + head;
    var ctx = c.getContext("2d");
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, c.width, c.height);
    ctx.drawImage(src, 0, head);
    var font = getComputedStyle(document.body).fontFamily;
    ctx.fillStyle = "#1d2733";
    ctx.font = "bold " + Math.round(16 * ratio) + "px " + font;
    var h1 = document.querySelector("header h1");
    var asOf = (document.querySelector("footer") || {}).textContent || "";
    ctx.fillText((h1 ? h1.textContent : document.title) + "　" + (asOf.split("·")[0] || "").trim(), 10 * ratio, 24 * ratio);
    ctx.font = Math.round(12 * ratio) + "px " + font;
    legendRows().forEach(function (r, i) {
      var y = head + (14 + 18 * i) * ratio;
      ctx.fillStyle = r.color || "#888";
      if (r.edge) ctx.fillRect(10 * ratio, y - 5 * ratio, 18 * ratio, 3 * ratio);
      else ctx.fillRect(14 * ratio, y - 10 * ratio, 11 * ratio, 11 * ratio);
      ctx.fillStyle = "#1d2733";
      ctx.fillText(r.text, 34 * ratio, y);
    });
    c.toBlob(function (blob) {
      state.lastPng = blob ? blob.size : 0;
      if (!blob) return;
      var a = document.createElement("a");
      a.href = URL.createObjectURL(blob);
      a.download = fileName();
      document.body.appendChild(a);
      a.click();
      setTimeout(function () {
        URL.revokeObjectURL(a.href);
        a.remove();
      }, 2000);
      if (done) done(blob);
    }, "image/png");
  }
  state.png = png;
  var pngButton = document.getElementById("png");
  if (pngButton) pngButton.addEventListener("click", function () { png(); });

  // ------------------------------------------------------------------ expand in place
  function centre() {
    var pos = network.getPositions();
    var ids = Object.keys(pos);
    var x = 0, y = 0;
    ids.forEach(function (id) { x += pos[id].x; y += pos[id].y; });
    return ids.length ? { x: x / ids.length, y: y / ids.length } : { x: 0, y: 0 };
  }
  // New nodes on arcs facing away from the middle of the drawing, 16 to an arc, arcs further out.
  function place(fresh, at, from) {
    var dir = Math.atan2(at.y - from.y, at.x - from.x);
    if (!isFinite(dir) || (at.x === from.x && at.y === from.y)) dir = -Math.PI / 2;
    var perArc = 16;
    fresh.forEach(function (n, i) {
      var arc = Math.floor(i / perArc);
      var k = Math.min(perArc, fresh.length - arc * perArc);
      var j = i % perArc;
      var r = 130 + 75 * arc;
      var span = Math.min(Math.PI * 1.3, (k * 62) / r);
      var a = dir + (k > 1 ? -span / 2 + (span * j) / (k - 1) : 0);
      n.x = at.x + r * Math.cos(a);
      n.y = at.y + r * Math.sin(a);
      n.hidden = !!off[n.kind_key];
    });
  }
  function groupLabel(count, noun) {
    return "+" + count.toLocaleString("zh-CN") + " " + noun;
  }
  function add(id, ex, body, button) {
    var at = network.getPositions([id])[id] || { x: 0, y: 0 };
    var fresh = body.nodes.filter(function (n) { return !nodes.get(n.id); });
    place(fresh, at, centre());
    nodes.add(fresh);
    var newEdges = body.edges.filter(function (e) {
      return !edges.get(e.id) && nodes.get(e.from) && nodes.get(e.to);
    });
    newEdges.forEach(function (e) { e.hidden = !!off[e.kind_key]; });
    edges.add(newEdges);
    if (ex.kind) {
      ex.offset = body.offset + body.returned;
      var left = Math.max(0, body.total - ex.offset);
      if (!body.more || left <= 0) {
        edges.remove(edges.get({ filter: function (e) { return e.from === id || e.to === id; }, fields: ["id"] }).map(function (e) { return e.id; }));
        nodes.remove(id);
        document.getElementById("panel").hidden = true;
      } else {
        var node = nodes.get(id);
        var info = node.info || {};
        info.title = groupLabel(left, body.noun || "");
        info.expand = ex;
        ex.count = left;
        nodes.update({ id: id, label: groupLabel(left, body.noun || ""), info: info });
        if (button) {
          button.disabled = false;
          button.textContent = buttonText(ex);
        }
      }
    } else if (button) {
      button.textContent = fresh.length ? "已展开 " + fresh.length + " 个新节点" : "其邻居都已在图上";
    }
    state.expanded += 1;
    state.nodes = nodes.length;
    state.edges = edges.length;
    state.lastAdded = fresh.map(function (n) { return n.id; });
    document.documentElement.setAttribute("data-expanded", String(state.expanded));
  }
  function buttonText(ex) {
    if (!ex.kind) return "在图上展开其邻居";
    var n = Math.min(PAGE, ex.count || PAGE);
    return "在图上展开 " + n.toLocaleString("zh-CN") + " 个" + (ex.count > PAGE ? "（共 " + ex.count.toLocaleString("zh-CN") + " 个）" : "");
  }
  function expand(id, ex, button) {
    var q = "?key=" + encodeURIComponent(ex.key) + "&limit=" + PAGE;
    if (ex.kind) q += "&kind=" + encodeURIComponent(ex.kind) + "&offset=" + (ex.offset || 0);
    if (data.as_of) q += "&as_of=" + encodeURIComponent(data.as_of);
    button.disabled = true;
    button.textContent = "正在展开…";
    fetch(data.api_url + q, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        return r.json().then(function (b) { return { ok: r.ok, body: b }; });
      })
      .then(function (res) {
        if (!res.ok) {
          button.textContent = "展开失败：" + (typeof res.body.detail === "string" ? res.body.detail : "请稍后再试");
          return;
        }
        add(id, ex, res.body, button);
      })
      .catch(function () {
        button.disabled = false;
        button.textContent = "展开失败：连不上服务器，请稍后再试";
      });
  }
  state.expand = function (id) {
    var n = nodes.get(id);
    var ex = n && n.info && n.info.expand;
    if (!ex) return false;
    expand(id, ex, document.createElement("button"));
    return true;
  };
  state.onPanel = function (node, list) {
    var ex = node.info && node.info.expand;
    if (!ex || !data.linkable || !data.api_url) return;
    var li = document.createElement("li");
    var b = document.createElement("button");
    b.type = "button";
    b.className = "expand";
    b.textContent = buttonText(ex);
    b.addEventListener("click", function () { expand(node.id, ex, b); });
    li.appendChild(b);
    list.insertBefore(li, list.firstChild);
  };
})();
