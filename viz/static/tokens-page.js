// orggraph token page (admin): list, create (the token shown once) and revoke tokens through /api/tokens,
// with the login cookie. Every text goes in through textContent.
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("tokens-data").textContent);
  var ROLE_TEXT = {};
  cfg.roles.forEach(function (r) { ROLE_TEXT[r.value] = r.text; });
  var HINT = {
    admin: "管理员：全部数据、完整手机号、令牌管理。不填范围。",
    analyst: "分析员：全部数据（手机号脱敏）和自定义查询。不填范围。",
    street: "街道：必须填一个街道编码，只看本街道。",
    community: "社区：必须填一个社区编码，只看本社区。",
    viewer: "只读查看：可填区县、街道或社区编码限定范围，不填为全部；不查看具体人员。"
  };
  var state = (window.orggraph = { ready: false, tokens: 0 });
  var form = document.getElementById("create");
  var role = document.getElementById("role");
  var scope = document.getElementById("scope");
  var hint = document.getElementById("scope-hint");
  var tbody = document.querySelector("#tokens tbody");

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }
  function message(id, text, ok) {
    var box = document.getElementById(id);
    box.replaceChildren();
    if (text) box.appendChild(el("p", text, "msg " + (ok ? "ok" : "error")));
  }
  function call(method, url, body) {
    var opts = { method: method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (body) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    return fetch(url, opts).then(function (r) {
      if (r.status === 204) return { ok: true, status: 204, body: null };
      return r.json().then(
        function (b) { return { ok: r.ok, status: r.status, body: b }; },
        function () { return { ok: r.ok, status: r.status, body: {} }; }
      );
    });
  }
  function detail(res) {
    var d = res.body && res.body.detail;
    if (typeof d === "string") return d;
    return "操作失败（" + res.status + "），请检查填写的内容后重试。";
  }
  function updateHint() {
    hint.textContent = HINT[role.value] || "";
    var none = role.value === "admin" || role.value === "analyst";
    scope.disabled = none;
    if (none) scope.value = "";
    scope.placeholder = none ? "（不需要）" : role.value === "community" ? "社区编码" : role.value === "street" ? "街道编码" : "区县、街道或社区编码（可不填）";
  }
  function load() {
    return call("GET", "/api/tokens").then(function (res) {
      if (!res.ok) {
        message("list-msg", detail(res));
        return;
      }
      tbody.replaceChildren();
      res.body.tokens.forEach(function (t) {
        var tr = el("tr");
        tr.setAttribute("data-name", t.name);
        tr.appendChild(el("td", t.name));
        tr.appendChild(el("td", ROLE_TEXT[t.role] || t.role));
        tr.appendChild(el("td", t.scope || "全部"));
        tr.appendChild(el("td", (t.created || "").replace("T", " ").slice(0, 19)));
        var td = el("td");
        if (t.name !== cfg.me) {
          var b = el("button", "吊销");
          b.type = "button";
          b.addEventListener("click", function () { revoke(t.name, b); });
          td.appendChild(b);
        } else {
          td.appendChild(el("span", "当前使用", "muted"));
        }
        tr.appendChild(td);
        tbody.appendChild(tr);
      });
      state.tokens = res.body.tokens.length;
      state.ready = true;
      document.documentElement.setAttribute("data-tokens-ready", String(state.tokens));
    });
  }
  function revoke(name, button) {
    if (!window.confirm("确定吊销令牌「" + name + "」？使用它的人将立即无法访问。")) return;
    button.disabled = true;
    call("DELETE", "/api/tokens/" + encodeURIComponent(name)).then(function (res) {
      if (!res.ok) {
        button.disabled = false;
        message("list-msg", detail(res));
        return;
      }
      message("list-msg", "已吊销令牌「" + name + "」。", true);
      load();
    });
  }
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var body = { role: role.value };
    var name = form.elements.name.value.trim();
    if (name) body.name = name;
    if (scope.value.trim()) body.scope = scope.value.trim();
    document.getElementById("new-token").hidden = true;
    call("POST", "/api/tokens", body).then(function (res) {
      if (!res.ok) {
        message("create-msg", detail(res));
        return;
      }
      message("create-msg", "已创建令牌「" + res.body.name + "」（" + (ROLE_TEXT[res.body.role] || res.body.role) + "，范围 " + (res.body.scope || "全部") + "）。", true);
      document.getElementById("new-token-value").textContent = res.body.token;
      document.getElementById("copied").textContent = "";
      document.getElementById("new-token").hidden = false;
      form.reset();
      updateHint();
      load();
    });
  });
  document.getElementById("copy").addEventListener("click", function () {
    var text = document.getElementById("new-token-value").textContent;
    var done = function () { document.getElementById("copied").textContent = "已复制"; };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(done, function () {
        document.getElementById("copied").textContent = "浏览器不允许自动复制：请选中上面的令牌手动复制";
      });
    } else {
      document.getElementById("copied").textContent = "请选中上面的令牌手动复制";
    }
  });
  role.addEventListener("change", updateHint);
  updateHint();
  load();
})();
