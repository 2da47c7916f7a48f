// orggraph pages: suggestions as one types, from GET /api/search (the same role and jurisdiction as the API).
// - the header box (input.find-q): choosing a suggestion opens that node's page; Enter opens the results page;
// - pickers (input[data-picker]): choosing fills the hidden input named by data-picker with the key, so a
//   form (the path page) gets codes while the user sees and types names.
// Every text goes in through textContent, never innerHTML.
(function () {
  "use strict";
  var KIND_ZH = { person: "人员", grid: "网格", community: "社区", street: "街道", building: "楼栋",
                  unit: "单位", party_org: "党组织" };

  function attach(input) {
    var api = input.getAttribute("data-api");
    var egoBase = input.getAttribute("data-ego") || "";
    var pickerFor = input.getAttribute("data-picker");
    var hidden = pickerFor ? input.form.querySelector("input[type=hidden][name='" + pickerFor + "']") : null;
    var list = document.createElement("ul");
    list.className = "find-list";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    input.parentNode.appendChild(list);
    input.setAttribute("autocomplete", "off");
    var timer = null, seq = 0, items = [], active = -1;

    function choose(it) {
      list.hidden = true;
      if (hidden) {
        hidden.value = it.key;
        input.value = it.name;
        input.setAttribute("data-chosen", it.key);
        return;
      }
      window.location.href = egoBase + encodeURIComponent(it.key);
    }
    function show(results) {
      items = results;
      active = -1;
      while (list.firstChild) list.removeChild(list.firstChild);
      if (!results.length) {
        var none = document.createElement("li");
        none.className = "none";
        none.textContent = "没有找到：可输入姓名、名称、拼音首字母或编码的开头";
        list.appendChild(none);
      }
      results.forEach(function (it, i) {
        var li = document.createElement("li");
        li.setAttribute("role", "option");
        li.setAttribute("data-key", it.key);
        var k = document.createElement("span");
        k.className = "k";
        k.textContent = KIND_ZH[it.kind] || it.kind;
        var n = document.createElement("b");
        n.textContent = it.name;
        var w = document.createElement("small");
        w.textContent = it.where ? " " + it.where : "";
        li.appendChild(k);
        li.appendChild(n);
        li.appendChild(w);
        li.addEventListener("mousedown", function (e) { e.preventDefault(); choose(it); });
        list.appendChild(li);
      });
      list.hidden = false;
    }
    function mark() {
      Array.prototype.forEach.call(list.children, function (li, i) {
        li.classList.toggle("active", i === active);
      });
    }
    function ask() {
      var q = input.value.trim();
      if (hidden) { hidden.value = ""; input.removeAttribute("data-chosen"); }
      if (!q) { list.hidden = true; return; }
      var mine = ++seq;
      fetch(api + "?limit=10&q=" + encodeURIComponent(q), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : { results: [] }; })
        .then(function (body) { if (mine === seq) show(body.results || []); })
        .catch(function () { /* offline or logged out: the form still submits */ });
    }
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, 150);
    });
    input.addEventListener("keydown", function (e) {
      if (list.hidden || !items.length) return;
      if (e.key === "ArrowDown") { active = Math.min(items.length - 1, active + 1); mark(); e.preventDefault(); }
      else if (e.key === "ArrowUp") { active = Math.max(0, active - 1); mark(); e.preventDefault(); }
      else if (e.key === "Enter" && active >= 0) { e.preventDefault(); choose(items[active]); }
      else if (e.key === "Escape") { list.hidden = true; }
    });
    input.addEventListener("blur", function () { setTimeout(function () { list.hidden = true; }, 150); });
  }

  Array.prototype.forEach.call(document.querySelectorAll("input.find-q, input[data-picker]"), attach);
  Array.prototype.forEach.call(document.querySelectorAll("[data-print]"), function (b) {
    b.addEventListener("click", function () { window.print(); });
  });
  document.documentElement.setAttribute("data-find-ready", "1");
})();
