// orggraph org tree page: find within the tree (matches and their ancestors shown and opened, the rest
// hidden), expand everything, fold back to the street level, show only what is flagged.
(function () {
  "use strict";
  var tree = document.getElementById("tree");
  var input = document.getElementById("tree-search");
  var found = document.getElementById("found");
  var onlyFlags = document.getElementById("only-flags");
  var state = (window.orggraph = { ready: true, kind: "tree" });
  if (!tree) return;
  var items = Array.prototype.slice.call(tree.querySelectorAll("li[data-search]"));
  var initial = Array.prototype.map.call(tree.querySelectorAll("details"), function (d) { return [d, d.open]; });
  state.items = items.length;
  function ancestors(li, fn) {
    var p = li.parentElement;
    while (p && p !== tree) {
      if (p.tagName === "LI") fn(p);
      if (p.tagName === "DETAILS") p.open = true;
      p = p.parentElement;
    }
  }
  function flagged(li) {
    return li.classList.contains("flag-sec") || li.classList.contains("flag-grid") || li.classList.contains("gap");
  }
  function apply() {
    var q = (input.value || "").trim().toLowerCase();
    var flags = onlyFlags && onlyFlags.checked;
    items.forEach(function (li) { li.classList.remove("hit", "nohit"); });
    if (!q && !flags) {
      initial.forEach(function (p) { p[0].open = p[1]; });
      found.textContent = "";
      state.hits = null;
      return;
    }
    var keep = new Set();
    var hits = 0;
    items.forEach(function (li) {
      var text = (li.getAttribute("data-search") || "").toLowerCase();
      var ok = (!q || text.indexOf(q) >= 0) && (!flags || flagged(li));
      if (ok) {
        hits += 1;
        if (q) li.classList.add("hit");
        keep.add(li);
        ancestors(li, function (a) { keep.add(a); });
      }
    });
    items.forEach(function (li) {
      if (!keep.has(li)) li.classList.add("nohit");
    });
    state.hits = hits;
    found.textContent = hits ? "找到 " + hits + " 项" : "没有找到：请换一个名称、编码或书记姓名";
  }
  input.addEventListener("input", apply);
  if (onlyFlags) onlyFlags.addEventListener("change", apply);
  document.getElementById("open-all").addEventListener("click", function () {
    tree.querySelectorAll("details").forEach(function (d) { d.open = true; });
  });
  document.getElementById("close-all").addEventListener("click", function () {
    input.value = "";
    if (onlyFlags) onlyFlags.checked = false;
    apply();
    initial.forEach(function (p) { p[0].open = p[1]; });
  });
  document.documentElement.setAttribute("data-graph-ready", "1");
})();
