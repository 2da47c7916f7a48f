// The page 模拟调整 (/pages/what-if): build a scenario with the search picker (find.js fills the hidden *_key
// inputs), run it through POST /api/what-if, show the cards, gap lists, people and the network (drawn by the
// network pages' own graph-page.js from POST /pages/what-if/graph), export through POST /api/what-if/export,
// save and reopen through /api/scenarios, and share as a link (URL fragment) that fills the page and never runs.
// Every text goes in through textContent, never innerHTML.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("whatif-config").textContent);
  var graphJs = document.currentScript.getAttribute("data-graph-js");
  var $ = function (id) { return document.getElementById(id); };
  var PID = /^[0-9a-f]{20}$/;
  var ROWS_SHOWN = 200; // rows of one gap list shown on the page (appeared, disappeared)
  var KINDS = {};
  config.kinds.forEach(function (k) { KINDS[k.kind] = k; });
  var state = (window.orggraphWhatIf = { changes: [], names: {}, answer: null, ran: null, busy: false, ready: false });

  var kit = window.OrggraphKit; // page-kit.js
  var el = kit.el, call = kit.call, detail = kit.detail;
  function say(text, kind) {
    var m = $("message");
    m.className = kind || "ok";
    m.textContent = text || "";
  }
  function problem(res) { return kit.problem(res, { 400: "调整有误", 408: "模拟超时", 422: "调整有误" }); }

  // ------------------------------------------------------------------ scope and date
  var scopeSel = $("scope");
  if (config.everything) scopeSel.appendChild(new Option("全部", ""));
  config.scopes.forEach(function (o) { scopeSel.appendChild(new Option(o.name + "（" + o.label + "）", o.code)); });
  $("as-of").value = config.as_of;

  // ------------------------------------------------------------------ the change form
  config.ops.forEach(function (o) { $("op").appendChild(new Option(o.text, o.op)); });
  function fillKinds() {
    var op = $("op").value, sel = $("kind"), keep = sel.value;
    sel.replaceChildren();
    if (op === "end") sel.appendChild(new Option("（不限：与对象之间的全部关系）", ""));
    config.kinds.forEach(function (k) { sel.appendChild(new Option(k.text, k.kind)); });
    if (keep && KINDS[keep]) sel.value = keep;
    else if (op !== "end") sel.value = "SERVES";
  }
  function fillRoles() {
    var op = $("op").value, k = op === "move" ? KINDS.SERVES : KINDS[$("kind").value];
    var sel = $("role"), keep = sel.value;
    sel.replaceChildren();
    if (!k || !k.field) { $("role-row").hidden = true; return; }
    $("role-row").hidden = false;
    $("role-text").textContent = k.field === "role" ? "岗位" : "联系人类别";
    if (op === "end") sel.appendChild(new Option("（不限）", ""));
    k.values.forEach(function (v) { sel.appendChild(new Option(v, v)); });
    if (k.values.indexOf(keep) >= 0) sel.value = keep;
    else if (op !== "end" && k.field === "role") sel.value = "专职网格员";
  }
  function layout() {
    var op = $("op").value;
    var k = KINDS[$("kind").value];
    $("kind-row").hidden = op === "move" || op === "remove";
    $("target-row").hidden = op === "move" || op === "remove";
    $("from-row").hidden = $("to-row").hidden = op !== "move";
    $("date-row").hidden = op === "remove";
    $("date-text").textContent = op === "add" ? "开始日期" : "结束日期";
    $("date-hint").textContent = op === "add" ? "不填：自数据日期起" : "不填：到数据日期前一天";
    $("who-text").textContent = op === "remove" ? "人员或单位" : (k && k.who === "unit" ? "单位" : (op === "end" && !k ? "人员或单位" : "人员"));
    $("target-text").textContent = k ? { SERVES: "网格或楼栋", CO_BUILDS: "社区", CONTACTS: "联系点", PART_TIME_MEMBER_OF: "党组织", LINKS_HOUSEHOLD: "户（编码）" }[k.kind] : "对象";
    $("target").placeholder = k && k.kind === "LINKS_HOUSEHOLD" ? "户编码：楼栋编码-户号" : "名称、拼音首字母或编码";
    fillRoles();
  }
  $("op").addEventListener("change", function () { fillKinds(); layout(); });
  $("kind").addEventListener("change", layout);
  fillKinds();
  layout();

  // What a picker holds: the key chosen from the suggestions, else what was typed (a code or a household).
  function picked(id) {
    var input = $(id), hidden = input.form.querySelector("input[name='" + id + "_key']");
    var key = (hidden.value || input.value).trim(), name = input.value.trim();
    if (key && name && name !== key) state.names[key] = name;
    return key;
  }
  function nameOf(key) { return state.names[key] || key; }

  function readable(ch) {
    var who = nameOf(ch.person || ch.unit || ""), t = nameOf(ch.target || "");
    var role = ch.role || ch.category || "", kind = ch.kind || (ch.role ? "SERVES" : ch.category ? "CONTACTS" : "");
    var when = ch.date ? "（" + ch.date + " 起）" : ch.since ? "（" + ch.since + " 起）" : "";
    var paren = role ? "（" + role + "）" : "";
    if (ch.op === "remove") return who + (ch.unit ? " 退出（整体移除）" : " 退休或离开（整体移除）");
    if (ch.op === "move") return who + " 从 " + nameOf(ch.from) + " 调到 " + nameOf(ch.to) + paren + when;
    if (ch.op === "end") {
      if (ch.unit && (!kind || kind === "CO_BUILDS")) return who + " 退出 " + t + " 共建" + when;
      return who + ({ SERVES: " 调离 ", CONTACTS: " 不再联系 ", PART_TIME_MEMBER_OF: " 不再任兼职委员：",
                      LINKS_HOUSEHOLD: " 不再联系户 " }[kind] || " 结束与之关系：") + t + paren + when;
    }
    return ({ SERVES: who + " 新任 " + t + " " + role, CO_BUILDS: who + " 与 " + t + " 结对共建",
              CONTACTS: who + " 联系 " + t + paren, PART_TIME_MEMBER_OF: who + " 任 " + t + " 兼职委员",
              LINKS_HOUSEHOLD: who + " 联系户 " + t }[kind] || who + " 新增 " + t) + when;
  }

  // The change as POST /api/what-if takes it, or an error message for the form.
  function fromForm() {
    var op = $("op").value, k = KINDS[$("kind").value], date = $("date").value;
    var who = picked("who");
    if (!who) return "请先在“" + $("who-text").textContent + "”里输入并从列表中选择。";
    var ch = { op: op };
    var isPerson = PID.test(who);
    if (k && k.who === "unit" && isPerson) return "联建共建的一方是单位：请选择一个单位。";
    if (k && k.who === "person" && !isPerson) return k.text + "的一方是人员：请从列表中选择一个人。";
    ch[isPerson ? "person" : "unit"] = who;
    if (op === "remove") return ch;
    var role = $("role-row").hidden ? "" : $("role").value;
    if (op === "move") {
      ch.from = picked("from");
      ch.to = picked("to");
      if (!ch.from || !ch.to) return "调动要填“从”和“到”两个网格。";
      if (ch.from === ch.to) return "“从”和“到”是同一个网格：请换一个。";
      ch.role = role;
      if (date) ch.date = date;
      return ch;
    }
    ch.target = picked("target");
    if (!ch.target) return "请填写" + $("target-text").textContent + "。";
    if (k && k.field && role) ch[k.field] = role;
    if (k && !k.field) ch.kind = k.kind;
    if (op === "add" && !k) return "新增要选择关系。";
    if (date) ch[op === "add" ? "since" : "date"] = date;
    return ch;
  }
  $("change-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var ch = fromForm();
    if (typeof ch === "string") { $("form-error").textContent = ch; return; }
    $("form-error").textContent = "";
    state.changes.push(ch);
    drawChanges();
    stale();
    ["who", "target", "from", "to"].forEach(function (id) {
      $(id).value = "";
      $(id).form.querySelector("input[name='" + id + "_key']").value = "";
    });
  });

  // ------------------------------------------------------------------ the list of changes
  function drawChanges(errors) {
    var ol = $("changes");
    ol.replaceChildren();
    $("count").textContent = state.changes.length ? state.changes.length + " 项" : "";
    if (!state.changes.length) ol.appendChild(el("li", "还没有调整：在上面选好后点“添加到方案”。", "empty"));
    state.changes.forEach(function (ch, i) {
      var li = el("li");
      li.appendChild(el("span", readable(ch), "line"));
      var del = el("button", "×", "del");
      del.type = "button";
      del.title = "从方案中去掉这一项";
      del.setAttribute("aria-label", "去掉第" + (i + 1) + "项");
      del.addEventListener("click", function () { state.changes.splice(i, 1); drawChanges(); stale(); });
      li.appendChild(del);
      if (errors && errors[i + 1]) {
        li.className = "bad";
        li.appendChild(el("div", errors[i + 1], "change-error"));
      }
      ol.appendChild(li);
    });
  }
  $("clear").addEventListener("click", function () {
    state.changes = [];
    drawChanges();
    say("");
  });
  // An answer no longer matches the changes once they are edited: said, and the export waits for a new run.
  function stale() {
    if (!state.answer) return;
    $("export").disabled = true;
    say("方案已改动，下面仍是上一次模拟的结果：点“运行模拟”更新。", "note");
  }
  function forget(text) {
    state.answer = state.ran = null;
    $("export").disabled = true;
    $("answer").replaceChildren(el("p", text, "empty"));
  }

  function body() {
    var b = { changes: state.changes.slice() };
    if (scopeSel.value) b.scope = scopeSel.value;
    if ($("as-of").value) b.as_of = $("as-of").value;
    return b;
  }

  // ------------------------------------------------------------------ run
  function busy(on) {
    state.busy = on;
    $("run").disabled = on;
    $("run").textContent = on ? "正在模拟…" : "运行模拟";
  }
  function run() {
    if (state.busy) return;
    if (!state.changes.length) { say("方案里还没有调整：请先添加至少一项。", "error"); return; }
    var b = body();
    busy(true);
    say("正在模拟…", "ok");
    call("POST", "/api/what-if", b).then(function (res) {
      busy(false);
      if (!res.ok) {
        forget("改正标红的调整（或上面说的问题）后，再点“运行模拟”。");
        // "第N项：…" names the change it is about: shown next to it.
        var d = detail(res), m = /^第(\d+)项/.exec(d), errs = {};
        if (m && +m[1] >= 1 && +m[1] <= state.changes.length) {
          errs[+m[1]] = d;
          drawChanges(errs);
          say(problem(res) + "（见左边标红的第" + m[1] + "项）", "error");
        } else {
          drawChanges();
          say(problem(res), "error");
        }
        return;
      }
      drawChanges();
      state.answer = res.body;
      state.ran = b;
      $("export").disabled = false;
      say("模拟完成（" + (res.body.as_of || b.as_of || "") + "）：以下是调整后的变化，数据本身没有改动。", "ok");
      drawAnswer(res.body);
    });
  }
  $("run").addEventListener("click", run);

  // ------------------------------------------------------------------ the answer
  function pct(r) { return r === null || r === undefined ? "—" : (100 * r).toFixed(1) + "%"; }
  function signed(n, digits) {
    var s = digits ? (100 * n).toFixed(digits) : String(n);
    return (n > 0 ? "+" : "") + s;
  }
  function card(m) {
    var d = m.delta || {}, worse = d.ratio < 0 || (d.ratio === 0 && d.covered < 0), better = d.ratio > 0 || (d.ratio === 0 && d.covered > 0);
    var c = el("div", null, "card" + (worse ? " worse" : better ? " better" : ""));
    c.setAttribute("data-measure", m.measure);
    c.appendChild(el("h3", m.label));
    var nums = el("div", null, "nums");
    nums.appendChild(el("span", pct(m.before.ratio), "before"));
    nums.appendChild(el("span", "→", "arrow"));
    nums.appendChild(el("b", pct(m.after.ratio), "after"));
    c.appendChild(nums);
    c.appendChild(el("div", m.before.covered + "/" + m.before.total + " → " + m.after.covered + "/" + m.after.total, "counts"));
    var text = d.covered || d.ratio ? "变化 " + signed(d.covered || 0) + "（" + signed(d.ratio || 0, 2) + " 个百分点）" : "不变";
    c.appendChild(el("div", text, "delta"));
    return c;
  }
  function table(head, rows) {
    var t = el("table", null, "list"), tr = el("tr");
    head.forEach(function (h) { tr.appendChild(el("th", h)); });
    var thead = el("thead");
    thead.appendChild(tr);
    t.appendChild(thead);
    var tb = el("tbody");
    rows.forEach(function (r) { tb.appendChild(r); });
    t.appendChild(tb);
    return t;
  }
  function itemRow(it, side) {
    var tr = el("tr", null, side);
    tr.appendChild(el("td", side === "appeared" ? "新出现" : "消除"));
    tr.appendChild(el("td", it.name || it.key));
    tr.appendChild(el("td", it.key));
    tr.appendChild(el("td", it.where || ""));
    tr.appendChild(el("td", it.why || ""));
    return tr;
  }
  function section(title, up, down, content, id) {
    var s = el("section", null, "tbl" + (up || down ? "" : " empty"));
    if (id) s.id = id;
    var h = el("h2", title);
    if (up) h.appendChild(el("span", "新出现 " + up, "up"));
    if (down) h.appendChild(el("span", "消除 " + down, "down"));
    if (!up && !down) h.appendChild(el("span", "无变化", "n"));
    s.appendChild(h);
    if (content) s.appendChild(content);
    return s;
  }
  var REL_ZH = { SERVES: "网格力量", CONTACTS: "联系点", CO_BUILDS: "联建共建", PART_TIME_MEMBER_OF: "兼职委员", LINKS_HOUSEHOLD: "联户" };
  function relText(e) {
    return (REL_ZH[e.relationship] || e.relationship || "") + (e.role ? "（" + e.role + "）" : "") + "：" +
      (e.label ? e.label + " " : "") + (e.name || e.code);
  }
  function drawAnswer(a) {
    var box = $("answer");
    box.replaceChildren();
    // What was run, as the server read it (also on paper: the builder is not printed).
    var ran = el("section");
    ran.id = "ran";
    var scopeText = scopeSel.options[scopeSel.selectedIndex] ? scopeSel.options[scopeSel.selectedIndex].text.trim() : "";
    ran.appendChild(el("h2", "模拟的调整（" + (scopeText || "全部") + "，" + a.as_of + "）"));
    var ol = el("ol");
    (a.changes || []).forEach(function (c) {
      var li = el("li", c.label);
      li.appendChild(el("span", "涉及 " + c.terms + " 项任职或关系", "terms"));
      ol.appendChild(li);
    });
    ran.appendChild(ol);
    box.appendChild(ran);
    var cards = el("div");
    cards.id = "cards";
    // The measures that change first, in their order; then the others.
    var moved = function (m) { return !!(m.delta && (m.delta.covered || m.delta.ratio || m.delta.total)); };
    var measures = a.coverage || [];
    measures.filter(moved).concat(measures.filter(function (m) { return !moved(m); }))
      .forEach(function (m) { cards.appendChild(card(m)); });
    box.appendChild(cards);
    var net = el("div");
    net.id = "net-box";
    box.appendChild(net);
    var quiet = [];
    (a.gaps || []).forEach(function (g) {
      var up = (g.appeared || []).length, down = (g.disappeared || []).length;
      if (g.list === "sole_contacts") return; // listed below with their grids
      if (!up && !down) { quiet.push(g.label); return; }
      // A long list (households) is shown in part: the workbook has all of it.
      var rows = (g.appeared || []).slice(0, ROWS_SHOWN).map(function (it) { return itemRow(it, "appeared"); })
        .concat((g.disappeared || []).slice(0, ROWS_SHOWN).map(function (it) { return itemRow(it, "disappeared"); }));
      var s = section(g.label, up, down, table(["变化", "名称", "编码", "位置", "原因"], rows), "gap-" + g.list);
      if (up > ROWS_SHOWN || down > ROWS_SHOWN) {
        s.appendChild(el("p", "每类只列出前 " + ROWS_SHOWN + " 项；完整清单请点“导出 .xlsx”。", "muted"));
      }
      box.appendChild(s);
    });
    if (quiet.length) box.appendChild(el("p", "以下 " + quiet.length + " 份短板清单没有变化：" + quiet.join("、") + "。", "muted quiet"));
    var sc = a.sole_contacts || {}, su = (sc.appeared || []).length, sd = (sc.disappeared || []).length;
    var soleRow = function (side) {
      return function (it) {
        var why = side === "appeared" ? "调整后是该网格唯一的直接联系人（服务或联系点）：此人再变动，网格将无人直接联系"
                                      : "调整后不再是该网格唯一的直接联系人";
        return itemRow({ name: it.name, key: it.pid, where: (it.grid_name || "") + "（" + it.grid + "）", why: why }, side);
      };
    };
    var srows = (sc.appeared || []).map(soleRow("appeared")).concat((sc.disappeared || []).map(soleRow("disappeared")));
    box.appendChild(section("唯一联系人的变化", su, sd, srows.length ? table(["变化", "人员", "人员标识", "网格", "说明"], srows) : null, "sole-contacts"));
    var prow = (a.people || []).map(function (p) {
      var tr = el("tr");
      tr.appendChild(el("td", (p.kind === "unit" ? "单位 " : "") + (p.name || p.key)));
      var before = {}, after = {};
      (p.before || []).forEach(function (e) { before[relText(e)] = 1; });
      (p.after || []).forEach(function (e) { after[relText(e)] = 1; });
      var then = el("td");
      Object.keys(after).forEach(function (k) {
        then.appendChild(el("span", k, before[k] ? "" : "added"));
        then.appendChild(el("br"));
      });
      Object.keys(before).forEach(function (k) {
        if (after[k]) return;
        then.appendChild(el("span", k, "ended"));
        then.appendChild(el("br"));
      });
      if (!then.childNodes.length) then.textContent = "（调整前后都没有联系对象）";
      tr.appendChild(then);
      return tr;
    });
    var ps = el("section", null, "tbl");
    ps.id = "people";
    ps.appendChild(el("h2", "受影响的人员和单位：调整后联系的对象"));
    ps.appendChild(el("p", "绿色为新增，红色删除线为调整后不再有的。", "muted"));
    ps.appendChild(prow.length ? table(["人员或单位", "调整后"], prow) : el("p", "（无）", "muted"));
    box.appendChild(ps);
    drawGraph(a);
  }

  // ------------------------------------------------------------------ the network
  // What the network is drawn from, cut to what it can show (at most 500 nodes) so the request stays small.
  function forGraph(a) {
    var budget = 600, omitted = 0;
    function take(list, n) {
      list = list || [];
      var k = Math.max(0, Math.min(list.length, n, budget));
      budget -= k;
      omitted += list.length - k;
      return list.slice(0, k);
    }
    var people = take(a.people, 200).map(function (p) {
      return { kind: p.kind, key: p.key, name: p.name, before: (p.before || []).slice(0, 20), after: (p.after || []).slice(0, 20) };
    });
    var sc = a.sole_contacts || {};
    var sole = { appeared: take(sc.appeared, 100), disappeared: [] };
    var gaps = (a.gaps || []).map(function (g) {
      return { list: g.list, label: g.label, appeared: take(g.appeared, 300), disappeared: take(g.disappeared, 300) };
    });
    return { people: people, gaps: gaps, sole_contacts: sole, omitted: omitted };
  }
  function drawGraph(a) {
    var box = $("net-box");
    box.replaceChildren(el("p", "正在准备关系图…", "empty"));
    call("POST", "/pages/what-if/graph", forGraph(a)).then(function (res) {
      if (!res.ok) { box.replaceChildren(el("p", problem(res), "error")); return; }
      var g = res.body;
      if (!g.counts.nodes) { box.replaceChildren(el("p", "没有受影响的网格、社区或人员可画。", "empty")); box.style.height = "auto"; return; }
      kit.embedGraph(box, g, graphJs, { label: "受影响的网格、社区和人员关系图", empty: "", maxScale: 1.2 });
    });
  }

  // ------------------------------------------------------------------ export
  $("export").addEventListener("click", function () {
    var b = state.ran;
    if (!b) return;
    say("正在导出 .xlsx …", "ok");
    fetch("/api/what-if/export", {
      method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" }, body: JSON.stringify(b)
    }).then(function (r) {
      if (!r.ok) return r.json().then(function (j) { say(problem({ status: r.status, body: j }), "error"); }, function () { say("导出失败（" + r.status + "）", "error"); });
      return r.blob().then(function (blob) {
        var a = el("a");
        a.href = URL.createObjectURL(blob);
        a.download = "模拟调整 " + (b.as_of || config.as_of) + ".xlsx";
        document.body.appendChild(a);
        a.click();
        setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
        say("已导出 .xlsx。", "ok");
      });
    }, function () { say("无法连接服务器：导出失败。", "error"); });
  });

  // ------------------------------------------------------------------ saved scenarios
  function usedNames() {
    var keep = {};
    state.changes.forEach(function (ch) {
      ["person", "unit", "target", "from", "to"].forEach(function (k) {
        if (ch[k] && state.names[ch[k]]) keep[ch[k]] = state.names[ch[k]];
      });
    });
    return keep;
  }
  function fill(s) {
    if (state.answer) forget("已换成另一个方案：点“运行模拟”查看它的结果。");
    state.changes = (s.changes || []).filter(function (c) { return c && typeof c === "object"; });
    state.names = {};
    Object.keys(s.names || {}).forEach(function (k) { state.names[k] = String(s.names[k]); });
    var scope = s.scope || "";
    if (Array.prototype.some.call(scopeSel.options, function (o) { return o.value === scope; })) scopeSel.value = scope;
    $("as-of").value = s.as_of || config.as_of;
    drawChanges();
  }
  function loadSaved() {
    call("GET", "/api/scenarios").then(function (res) {
      var ul = $("saved");
      ul.replaceChildren();
      if (!res.ok) { ul.appendChild(el("li", problem(res), "muted")); return; }
      var items = res.body.scenarios || [];
      $("saved-count").textContent = items.length ? items.length + " 个" : "";
      if (!items.length) ul.appendChild(el("li", "还没有保存的方案。", "muted"));
      items.forEach(function (s) {
        var li = el("li");
        var open = el("button", s.name, "open");
        open.type = "button";
        open.title = "打开这个方案（不会自动运行）";
        open.addEventListener("click", function () {
          fill(s);
          say("已打开方案「" + s.name + "」（" + s.changes.length + " 项调整）：检查后点“运行模拟”。", "note");
        });
        var own = s.owner === config.user;
        var del = el("button", "删除", "del");
        del.type = "button";
        del.addEventListener("click", function () {
          var url = "/api/scenarios/" + encodeURIComponent(s.name) + (own ? "" : "?owner=" + encodeURIComponent(s.owner));
          call("DELETE", url).then(function (r) {
            if (!r.ok) { say(problem(r), "error"); return; }
            say("已删除方案「" + s.name + "」。", "ok");
            loadSaved();
          });
        });
        li.appendChild(del);
        li.appendChild(open);
        var meta = (own ? "" : s.owner + " · ") + s.changes.length + " 项调整" + (s.as_of ? " · " + s.as_of : "") + (s.description ? " · " + s.description : "");
        li.appendChild(el("span", meta, "meta"));
        ul.appendChild(li);
      });
    });
  }
  var dialog = $("save-dialog");
  $("save").addEventListener("click", function () {
    if (!state.changes.length) { say("方案里还没有调整：请先添加至少一项再保存。", "error"); return; }
    $("save-error").textContent = "";
    if (dialog.showModal) dialog.showModal(); else dialog.setAttribute("open", "");
    $("save-name").focus();
  });
  $("save-cancel").addEventListener("click", function () { dialog.close(); });
  $("save-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var b = body();
    b.name = $("save-name").value.trim();
    b.description = $("save-description").value.trim();
    b.names = usedNames();
    if (!b.name) { $("save-error").textContent = "请填写方案名称。"; return; }
    call("POST", "/api/scenarios", b).then(function (res) {
      if (!res.ok) { $("save-error").textContent = problem(res); return; }
      dialog.close();
      say("已保存方案「" + b.name + "」。", "ok");
      loadSaved();
    });
  });

  // ------------------------------------------------------------------ share: a link that fills the page in and never runs
  $("share").addEventListener("click", function () {
    if (!state.changes.length) { say("方案里还没有调整：请先添加至少一项再分享。", "error"); return; }
    var b = body();
    b.names = usedNames();
    // In the fragment: it never reaches the server, so the scenario is not in any log on the way.
    var url = location.origin + location.pathname + "#s=" + encodeURIComponent(JSON.stringify(b));
    var box = $("share-url");
    box.value = url;
    box.hidden = false;
    box.select();
    var done = function () { say("分享链接已复制。打开它的人会看到填好的方案，自己点“运行模拟”才会执行（按其本人的权限）。", "ok"); };
    var manual = function () { say("分享链接在左边的框里：请复制。打开它只会填好方案，不会运行。", "ok"); };
    if (navigator.clipboard && navigator.clipboard.writeText) navigator.clipboard.writeText(url).then(done, manual);
    else manual();
  });
  function fromLink() {
    var h = location.hash.replace(/^#/, "");
    if (h.indexOf("s=") !== 0) return false;
    var s;
    try { s = JSON.parse(decodeURIComponent(h.slice(2))); } catch (e) { s = null; }
    if (!s || !Array.isArray(s.changes)) {
      say("分享链接不完整，无法读出方案：请让对方重新复制链接。", "error");
      return true;
    }
    fill(s);
    say("已按分享链接填好方案（" + state.changes.length + " 项调整）：检查后点“运行模拟”执行。", "note");
    return true;
  }

  fromLink();
  window.addEventListener("hashchange", fromLink);
  drawChanges();
  loadSaved();
  state.ready = true;
  document.documentElement.setAttribute("data-whatif-ready", "1");
})();
