// Client-side search over clause text: works from file:// (the index is a script, not fetched).
(function () {
  "use strict";
  var index = window.AVTAL_INDEX || [];
  var input = document.getElementById("sok");
  var out = document.getElementById("sokresultat");
  if (!input || !out) return;
  function norm(s) { return s.toLocaleLowerCase("sv"); }
  var prepared = index.map(function (e) { return { e: e, hay: norm(e.n + " " + e.t + " " + e.x) }; });
  function snippet(text, word) {
    var i = norm(text).indexOf(word);
    var start = Math.max(0, i - 60);
    var s = (start > 0 ? "…" : "") + text.substr(start, 160) + (start + 160 < text.length ? "…" : "");
    return s;
  }
  function el(tag, text) { var n = document.createElement(tag); if (text) n.textContent = text; return n; }
  function search() {
    var words = norm(input.value).split(/\s+/).filter(function (w) { return w.length > 1; });
    out.textContent = "";
    if (!words.length) return;
    var hits = prepared.filter(function (p) {
      return words.every(function (w) { return p.hay.indexOf(w) >= 0; });
    }).slice(0, 30);
    var status = el("p", hits.length ? hits.length + (hits.length === 30 ? "+" : "") + " träffar" : "Inga träffar");
    status.className = "count";
    out.appendChild(status);
    var list = el("ol");
    hits.forEach(function (p) {
      var li = el("li");
      var a = el("a", p.e.n + " " + p.e.t);
      a.href = p.e.d + ".html#" + p.e.i;
      li.appendChild(a);
      li.appendChild(el("span", p.e.s)).className = "doc";
      li.appendChild(el("span", snippet(p.e.x, words[0])));
      list.appendChild(li);
    });
    out.appendChild(list);
  }
  input.addEventListener("input", search);
  input.addEventListener("keydown", function (ev) { if (ev.key === "Escape") { input.value = ""; search(); } });
  var q = new URLSearchParams(window.location.search).get("q");
  if (q) { input.value = q; search(); }
})();
