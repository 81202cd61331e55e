/* mlsys_bib site: search, filters, style switch and copy buttons. Hand-written, no dependencies.
   Data comes from data.js (window.MLSYS_SITE): a <script src>, because browsers refuse fetch()
   of JSON from file://. Text from the list only ever reaches the page through textContent/value. */
(function () {
  "use strict";
  var root = document.documentElement;
  var D = window.MLSYS_SITE;
  if (!D) { return; }
  root.classList.add("js");
  var STORE = "mlsys-bib-style";
  function $(id) { return document.getElementById(id); }
  var form = $("_controls"), q = $("_q"), fSection = $("_section"), fVenue = $("_venue");
  var fFrom = $("_from"), fTo = $("_to"), fKind = $("_kind"), count = $("_count"), none = $("_none");
  var box = $("_copybox"), area = $("_copytext"), statusEl = $("_status");
  form.hidden = false;

  var byKey = Object.create(null);
  D.papers.forEach(function (row) { row.push(true); byKey[row[0]] = row; });
  var sections = Array.prototype.slice.call(document.querySelectorAll("section.sec"));
  var items = [];
  sections.forEach(function (sec, si) {
    var lis = sec.querySelectorAll("li.paper");
    for (var i = 0; i < lis.length; i++) {
      var row = byKey[lis[i].getAttribute("data-key")];
      if (row) { items.push({ el: lis[i], row: row, sec: si, shown: true }); }
    }
  });
  var secShown = sections.map(function () { return true; });

  function fold(s) {
    return s.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase().replace(/\s+/g, " ").trim();
  }
  function num(input) { var n = parseInt(input.value, 10); return isNaN(n) ? null : n; }

  function apply() {
    var terms = fold(q.value).split(" ").filter(Boolean);
    var sec = fSection.value === "" ? -1 : +fSection.value;
    var ven = fVenue.value === "" ? -1 : +fVenue.value;
    var from = num(fFrom), to = num(fTo);
    var kind = fKind.value === "" ? 0 : (1 << +fKind.value);
    var rows = D.papers, matched = 0, i, j;
    for (i = 0; i < rows.length; i++) {
      var r = rows[i], ok = true;
      for (j = 0; ok && j < terms.length; j++) { ok = r[1].indexOf(terms[j]) !== -1; }
      if (ok && sec >= 0) { ok = r[2].indexOf(sec) !== -1; }
      if (ok && ven >= 0) { ok = r[3] === ven; }
      if (ok && from !== null) { ok = r[4] >= from; }
      if (ok && to !== null) { ok = r[4] !== 0 && r[4] <= to; }
      if (ok && kind) { ok = (r[5] & kind) !== 0; }
      r[6] = ok;
      if (ok) { matched++; }
    }
    var has = sections.map(function () { return false; });
    for (i = 0; i < items.length; i++) {
      var it = items[i], show = it.row[6] && (sec < 0 || it.sec === sec);
      if (show !== it.shown) { it.el.hidden = !show; it.shown = show; }
      if (show) { has[it.sec] = true; }
    }
    for (i = 0; i < sections.length; i++) {
      if (has[i] !== secShown[i]) { sections[i].hidden = !has[i]; secShown[i] = has[i]; }
    }
    var total = rows.length;
    count.textContent = matched === total ? "All " + total + " papers" :
      matched + " of " + total + " papers match";
    none.hidden = matched !== 0;
  }

  form.addEventListener("input", function (ev) { if (ev.target.name !== "style") { apply(); } });
  form.addEventListener("change", function (ev) { if (ev.target.name !== "style") { apply(); } });
  form.addEventListener("submit", function (ev) { ev.preventDefault(); apply(); });
  form.addEventListener("reset", function () { setTimeout(function () { checkStyle(document.body.getAttribute("data-style")); apply(); }, 0); });
  $("_clear").addEventListener("click", function () { form.reset(); q.focus(); });

  // -- style switch, remembered
  var radios = Array.prototype.slice.call(form.querySelectorAll('input[name="style"]'));
  function checkStyle(style) {
    var found = false;
    radios.forEach(function (r) { if (r.value === style) { r.checked = true; found = true; } });
    return found;
  }
  function setStyle(style, remember) {
    if (!checkStyle(style)) { return; }
    document.body.setAttribute("data-style", style);
    if (remember) { try { localStorage.setItem(STORE, style); } catch (e) { /* storage off: not remembered */ } }
  }
  radios.forEach(function (r) { r.addEventListener("change", function () { if (r.checked) { setStyle(r.value, true); } }); });
  var stored = null;
  try { stored = localStorage.getItem(STORE); } catch (e) { stored = null; }
  if (stored) { setStyle(stored, false); }

  // -- an anchor hidden by the filters: clear them so the paper shows
  function reveal() {
    var id = decodeURIComponent(location.hash.slice(1));
    var target = id && document.getElementById(id);
    if (target && target.closest("[hidden]")) {
      form.reset();
      setTimeout(function () { target.scrollIntoView(); }, 0);
    }
  }
  window.addEventListener("hashchange", reveal);

  // -- copy buttons: the clipboard where allowed, else a box with the text selected
  var lastButton = null;
  function say(text) {
    statusEl.textContent = text;
    clearTimeout(say.t);
    say.t = setTimeout(function () { statusEl.textContent = ""; }, 2500);
  }
  function showBox(text) {
    area.value = text;
    box.hidden = false;
    area.focus();
    area.select();
  }
  function closeBox() {
    box.hidden = true;
    if (lastButton) { lastButton.focus(); }
  }
  function copy(text, what) {
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { box.hidden = true; say("Copied " + what); },
        function () { showBox(text); });
    } else {
      showBox(text);
    }
  }
  document.getElementById("_papers").addEventListener("click", function (ev) {
    var button = ev.target.closest("button.copy");
    if (!button) { return; }
    var li = button.closest("li.paper"), key = li.getAttribute("data-key");
    var what = button.getAttribute("data-copy"), text;
    if (what === "key") { text = key; } else if (what === "bibtex") { text = D.bibtex[key]; } else { text = biblatex(key); }
    if (!text) { say("Nothing to copy for " + key); return; }
    lastButton = button;
    copy(text, (what === "key" ? "key " : what === "bibtex" ? "BibTeX of " : "biblatex of ") + key);
  });
  // biblatex ships as lines of the BibTeX entry (numbers) or its own lines (strings)
  function biblatex(key) {
    var delta = D.biblatex[key], lines = (D.bibtex[key] || "").split("\n");
    if (!delta) { return ""; }
    return delta.map(function (x) { return typeof x === "number" ? lines[x] : x; }).join("\n");
  }
  // the buttons exist only with JavaScript, which they need
  var template = document.createElement("span");
  [["bibtex", "Copy BibTeX"], ["biblatex", "Copy biblatex"], ["key", "Copy key"]].forEach(function (b) {
    var button = document.createElement("button");
    button.type = "button"; button.className = "copy"; button.setAttribute("data-copy", b[0]);
    button.textContent = b[1];
    template.appendChild(button);
  });
  var bars = document.querySelectorAll("li.paper > .actions");
  for (var b = 0; b < bars.length; b++) {
    var clone = template.cloneNode(true);
    while (clone.firstChild) { bars[b].appendChild(clone.firstChild); }
  }
  $("_copyclose").addEventListener("click", closeBox);
  box.addEventListener("keydown", function (ev) { if (ev.key === "Escape") { closeBox(); } });

  apply();
  if (location.hash) { reveal(); }
}());
