// avtal serve: keeps this page current while the sources are edited. Added by the server to the pages it
// serves, never written into dist/. Listens to /__avtal/events: "reload" names the pages rewritten (their
// new text is swapped in without losing the scroll position), "problems" the errors `avtal check` finds
// (shown in a dialog over the page, each linked to its place in the editor).
(function () {
  "use strict";
  var style = document.createElement("link");
  style.rel = "stylesheet";
  style.href = "/__avtal/live.css";
  document.head.appendChild(style);

  function swap(next) {
    var main = document.querySelector("main"), nextMain = next.querySelector("main");
    if (!main || !nextMain || document.body.dataset.avtalMissing) return false;
    main.innerHTML = nextMain.innerHTML;
    var toc = document.querySelector("nav.toc details"), nextToc = next.querySelector("nav.toc details");
    if (toc && nextToc) {
      var open = toc.open;
      toc.innerHTML = nextToc.innerHTML;
      toc.open = open;
    }
    var banner = document.querySelector(".status-banner"), nextBanner = next.querySelector(".status-banner");
    if (banner) banner.remove();
    if (nextBanner) document.querySelector(".site-bar").after(nextBanner);
    document.title = next.title;
    return true;
  }

  function update() {
    fetch(location.href, { cache: "no-store" }).then(function (response) {
      if (!response.ok) return location.reload();
      return response.text().then(function (text) {
        if (!swap(new DOMParser().parseFromString(text, "text/html"))) location.reload();
      });
    }).catch(function () { location.reload(); });
  }

  var dialog = null, shown = "[]";

  function show(problems) {
    var key = JSON.stringify(problems);
    if (key === shown) return;
    shown = key;
    if (dialog) { dialog.close(); dialog.remove(); dialog = null; }
    if (!problems.length) return;
    dialog = document.createElement("dialog");
    dialog.className = "avtal-problems";
    dialog.setAttribute("role", "alertdialog");
    dialog.setAttribute("aria-labelledby", "avtal-problems-title");
    dialog.setAttribute("aria-describedby", "avtal-problems-hint");
    var title = document.createElement("h2");
    title.id = "avtal-problems-title";
    title.textContent = problems.length === 1 ? "1 fel i källtexten" : problems.length + " fel i källtexten";
    var hint = document.createElement("p");
    hint.id = "avtal-problems-hint";
    hint.textContent = "Sidan visar texten före felet. Rätta och spara, så uppdateras sidan. " +
      "Länkarna öppnar filen i VS Code.";
    var list = document.createElement("ol");
    problems.forEach(function (p) {
      var item = document.createElement("li"), link = document.createElement("a"), message = document.createElement("p");
      link.href = p.href;
      link.textContent = p.file + ":" + p.line + ":" + p.column;
      message.textContent = (p.where ? "[" + p.where + "] " : "") + p.message;
      item.append(link, message);
      list.appendChild(item);
    });
    var close = document.createElement("button");
    close.type = "button";
    close.textContent = "Stäng (Esc)";
    close.addEventListener("click", function () { dialog.close(); });
    dialog.append(title, hint, list, close);
    document.body.appendChild(dialog);
    dialog.showModal();  // Esc closes it; the page behind is inert while it is open
  }

  var events = new EventSource("/__avtal/events");
  events.addEventListener("reload", function (e) {
    var pages = JSON.parse(e.data).pages;
    if (pages.indexOf("*") >= 0) return location.reload();
    // a page's round view (?runda) shows its text too; "?runda" alone: the round's record changed
    if (pages.indexOf(location.pathname) >= 0 || (location.search && pages.indexOf(location.search) >= 0)) update();
  });
  events.addEventListener("problems", function (e) { show(JSON.parse(e.data).problems); });
})();
