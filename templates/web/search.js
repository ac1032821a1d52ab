// Client-side search over clause text: works from file:// (the index is a script, not fetched).
//
// Matching ignores case and accents ("Egenvard" finds "egenvård") and a common Swedish ending on a
// query word, so other inflections match as a prefix ("kommunerna" finds "kommunen", "kommunens").
// Every query word must occur. Hits are ranked by relevance: the words in the clause's heading
// first, then how exactly and how often they occur in its text; ties keep the document order.
// The first hits show at once and a button shows all of them.
(function () {
  "use strict";
  var index = window.AVTAL_INDEX || [];
  var input = document.getElementById("sok");
  var out = document.getElementById("sokresultat");
  var status = document.getElementById("sokstatus");
  if (!input || !out) return;
  var FIRST = 20;
  // Longest first; a word keeps at least STEM letters.
  var ENDINGS = ["arnas", "ernas", "ornas", "arens", "arna", "erna", "orna", "ande", "ende", "ens", "ets", "en", "et",
                 "na", "ar", "er", "or", "a", "e", "s"];
  var STEM = 4;
  var LETTER = /[0-9a-z\u00c0-\u024f]/;

  // Lower case without diacritics, one character for one (so positions in it are positions in the text).
  function fold(s) {
    return s.toLowerCase().replace(/[^\u0000-\u007f]/g, function (c) { return c.normalize("NFD").charAt(0); });
  }
  function stem(word) {
    for (var i = 0; i < ENDINGS.length; i++) {
      var e = ENDINGS[i];
      if (word.length - e.length >= STEM && word.slice(-e.length) === e) return word.slice(0, -e.length);
    }
    return word;
  }
  var prepared = index.map(function (e, i) {
    return { e: e, order: i, head: fold(e.n + " " + e.t), text: fold(e.x) };
  });

  // 3: the word as written or its stem as a word, 2: a word beginning with the stem, 1: the stem inside a word,
  // 0: absent.
  function closeness(hay, term) {
    var best = 0;
    for (var i = hay.indexOf(term.stem); i >= 0 && best < 3; i = hay.indexOf(term.stem, i + 1)) {
      if (i > 0 && LETTER.test(hay.charAt(i - 1))) { best = Math.max(best, 1); continue; }
      var asWritten = hay.substr(i, term.word.length) === term.word && !LETTER.test(hay.charAt(i + term.word.length));
      best = Math.max(best, asWritten || !LETTER.test(hay.charAt(i + term.stem.length)) ? 3 : 2);
    }
    return best;
  }
  function occurrences(hay, s) {
    var n = 0;
    for (var i = hay.indexOf(s); i >= 0 && n < 20; i = hay.indexOf(s, i + s.length)) n++;
    return n;
  }
  function find(terms) {
    var hits = [];
    prepared.forEach(function (p) {
      var head = 0, text = 0;
      for (var k = 0; k < terms.length; k++) {
        var inHead = closeness(p.head, terms[k]), inText = closeness(p.text, terms[k]);
        if (!inHead && !inText) return;
        head += inHead;
        text += inText * 20 + occurrences(p.text, terms[k].stem);
      }
      hits.push({ p: p, head: head, text: text });
    });
    return hits.sort(function (a, b) { return b.head - a.head || b.text - a.text || a.p.order - b.p.order; });
  }

  function el(tag, text, className) {
    var n = document.createElement(tag);
    if (text) n.textContent = text;
    if (className) n.className = className;
    return n;
  }
  // About 160 characters of the text around the first match, the matches marked.
  function snippet(p, terms) {
    var text = p.e.x, hay = p.text, at = -1;
    terms.forEach(function (t) { var i = hay.indexOf(t.stem); if (i >= 0 && (at < 0 || i < at)) at = i; });
    var start = Math.max(0, at - 60), end = Math.min(text.length, start + 160);
    var span = el("span", "", "snippet");
    if (start > 0) span.appendChild(document.createTextNode("…"));
    var i = start;
    while (i < end) {
      var next = end, len = 0;
      terms.forEach(function (t) {
        var j = hay.indexOf(t.stem, i);
        if (j >= 0 && j < next) { next = j; len = t.stem.length; }
      });
      if (next + len > end) next = end;  // a match cut off at the end stays unmarked
      span.appendChild(document.createTextNode(text.slice(i, next)));
      if (next >= end) break;
      span.appendChild(el("mark", text.slice(next, next + len)));
      i = next + len;
    }
    if (end < text.length) span.appendChild(document.createTextNode("…"));
    return span;
  }
  function item(hit, terms) {
    var li = el("li");
    var a = el("a", (hit.p.e.n ? hit.p.e.n + " " : "") + hit.p.e.t);
    a.href = hit.p.e.d + ".html#" + hit.p.e.i;
    li.appendChild(a);
    li.appendChild(el("span", hit.p.e.s, "doc"));
    if (hit.p.e.x) li.appendChild(snippet(hit.p, terms));
    return li;
  }
  function count(n) { return n === 0 ? "Inga träffar" : n === 1 ? "1 träff" : n + " träffar"; }

  function search() {
    var terms = fold(input.value).split(/[^0-9a-z\u00c0-\u024f.]+/)
      .map(function (w) { return w.replace(/^\.+|\.+$/g, ""); })  // "3.6" stays whole, "vård." loses its full stop
      .filter(function (w) { return w.length > 1; })
      .map(function (w) { return { word: w, stem: stem(w) }; });
    out.textContent = "";
    if (status) status.textContent = "";
    if (!terms.length) return;
    var hits = find(terms);
    out.appendChild(el("p", count(hits.length), "count"));
    if (status) status.textContent = count(hits.length);
    if (!hits.length) return;
    var list = el("ol");
    hits.slice(0, FIRST).forEach(function (hit) { list.appendChild(item(hit, terms)); });
    out.appendChild(list);
    if (hits.length <= FIRST) return;
    var more = el("button", "Visa alla " + count(hits.length));
    more.type = "button";
    more.addEventListener("click", function () {
      var first = null;
      hits.slice(FIRST).forEach(function (hit) {
        var li = item(hit, terms);
        first = first || li.firstChild;
        list.appendChild(li);
      });
      more.remove();
      first.focus();  // the next hit, where the reader was going
    });
    out.appendChild(more);
  }
  input.addEventListener("input", search);
  input.addEventListener("keydown", function (ev) { if (ev.key === "Escape") { input.value = ""; search(); } });
  var q = new URLSearchParams(window.location.search).get("q");
  if (q) { input.value = q; search(); }
})();
