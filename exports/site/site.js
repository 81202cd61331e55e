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

  // One row per paper; its first card (the one with the anchor) is what a result shows.
  var byKey = Object.create(null), firstCard = Object.create(null);
  D.papers.forEach(function (row) { byKey[row[0]] = row; });
  var cards = document.querySelectorAll("#_list li.paper");
  for (var c = 0; c < cards.length; c++) {
    var k = cards[c].getAttribute("data-key");
    if (!firstCard[k]) { firstCard[k] = cards[c]; }
  }
  var list = $("_list"), results = $("_results"), resultsList = $("_results-list"), more = $("_more");
  // A search shows its matches as copies of their cards in one results list, a page at a time,
  // and switches the full list off in one go: a keystroke costs the same on a list ten times larger
  // (toggling thousands of cards one by one made the browser restyle and relayout each of them).
  // Off is content-visibility: hidden, not display: none, so the browser keeps the list laid out and
  // clearing the search shows it again without laying out every card anew.
  var PAGE = 100, matches = [], shown = 0, lastState = null;

  function fold(s) {
    return s.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase().replace(/\s+/g, " ").trim();
  }
  function num(input) { var n = parseInt(input.value, 10); return isNaN(n) ? null : n; }

  function showMore() {
    var end = Math.min(matches.length, shown + PAGE), frag = document.createDocumentFragment();
    for (var i = shown; i < end; i++) {
      var card = firstCard[matches[i]];
      if (!card) { continue; }
      var copy = card.cloneNode(true);
      copy.removeAttribute("id");  // the anchor stays with the card in the full list
      frag.appendChild(copy);
    }
    resultsList.appendChild(frag);
    shown = end;
    var rest = matches.length - shown;
    more.hidden = rest <= 0;
    more.textContent = "Show " + Math.min(PAGE, rest) + " more (" + rest + " not shown)";
  }

  function apply() {
    var terms = fold(q.value).split(" ").filter(Boolean);
    var sec = fSection.value === "" ? -1 : +fSection.value;
    var ven = fVenue.value === "" ? -1 : +fVenue.value;
    var from = num(fFrom), to = num(fTo);
    var kind = fKind.value === "" ? 0 : (1 << +fKind.value);
    var rows = D.papers, total = rows.length, i, j;
    var active = terms.length > 0 || sec >= 0 || ven >= 0 || from !== null || to !== null || kind !== 0;
    var state = [terms.join(" "), sec, ven, from, to, kind].join("|");
    if (state === lastState) { return; }  // same search: keep the results (and the pages shown)
    lastState = state;
    resultsList.textContent = "";
    matches = [];
    shown = 0;
    if (!active) {
      results.hidden = true;
      list.classList.remove("off");
      none.hidden = true;
      count.textContent = "All " + total + " papers";
      return;
    }
    for (i = 0; i < total; i++) {
      var r = rows[i], ok = true;
      for (j = 0; ok && j < terms.length; j++) { ok = r[1].indexOf(terms[j]) !== -1; }
      if (ok && sec >= 0) { ok = r[2].indexOf(sec) !== -1; }
      if (ok && ven >= 0) { ok = r[3] === ven; }
      if (ok && from !== null) { ok = r[4] >= from; }
      if (ok && to !== null) { ok = r[4] !== 0 && r[4] <= to; }
      if (ok && kind) { ok = (r[5] & kind) !== 0; }
      if (ok) { matches.push(r[0]); }
    }
    list.classList.add("off");
    results.hidden = matches.length === 0;
    none.hidden = matches.length !== 0;
    showMore();
    count.textContent = matches.length + " of " + total + " papers match";
  }

  more.addEventListener("click", showMore);
  form.addEventListener("input", function (ev) { if (ev.target.name !== "style") { apply(); } });
  // (a select may report only "change"; a text field's change on blur repeats its last input, which
  // the state check ignores, so a click that blurs the search box lands where the user aimed)
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
    if (target && target.closest("[hidden], .off")) {
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
