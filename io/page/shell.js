/* The shell every labelease page shares. Pages are opened from disk with no
 * server, so everything is here: data comes from the JSON block that the C
 * writer embedded, state lives in localStorage, exports are Blob downloads.
 * Trace data is untrusted text: it only ever reaches the DOM through
 * textContent or setAttribute, never through innerHTML. */
"use strict";
const LE = (() => {
  const SVG_NS = "http://www.w3.org/2000/svg";

  /* The embedded data block (escaped by the C writer, parsed, never evaluated). */
  function data() {
    return JSON.parse(document.getElementById("le-data").textContent);
  }

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function svg(tag, attrs, text) {
    const e = document.createElementNS(SVG_NS, tag);
    for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = String(text);
    return e;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  /* FNV-1a over UTF-16 units: a short stable key for a data set, so two
   * reps files opened from the same file:// origin keep separate labels. */
  function hash(s) {
    let h = 0x811c9dc5;
    for (let i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    return h.toString(16).padStart(8, "0");
  }

  /* localStorage can be missing or full (private windows, quotas): the page
   * keeps working from memory and says so instead of failing. */
  function store(key) {
    let ok = true;
    return {
      load() {
        try { return JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { ok = false; return null; }
      },
      save(value) {
        try { localStorage.setItem(key, JSON.stringify(value)); ok = true; } catch (e) { ok = false; }
        return ok;
      },
      get ok() { return ok; },
      key,
    };
  }

  /* As io/csvout.c writes a field: a leading ' before a formula (= + - @
   * TAB CR, after any quotes), then RFC 4180 quoting; io/labels.c reads it
   * back exactly. */
  function csvField(s) {
    s = String(s);
    if (/^'*[=+\-@\t\r]/.test(s)) s = "'" + s;
    return /[",\r\n]|^[ \t]|[ \t]$/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  }

  function download(name, text, type) {
    const url = URL.createObjectURL(new Blob([text], { type: type || "text/csv" }));
    const a = el("a");
    a.href = url;
    a.download = name;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  /* Microseconds as a person reads them: 850 µs, 12.3 ms, 4.56 s. */
  function fmtUs(us) {
    if (us === null || us === undefined || !isFinite(us)) return "–";
    const a = Math.abs(us);
    if (a < 1000) return Math.round(us) + " µs";
    if (a < 1e6) return (us / 1000).toFixed(a < 1e4 ? 2 : 1) + " ms";
    return (us / 1e6).toFixed(2) + " s";
  }

  /* Text fields take every key; everything else (buttons, radios, rows,
   * graph nodes) gives the page its shortcuts, so a click never leaves the
   * keys to a focused element (a radio would eat the arrows, a button would
   * turn Enter into a second click). A button reached by Tab still takes
   * Enter and Space itself: that is how a keyboard user presses it. */
  const TEXT_TYPES = ["text", "search", "number", "email", "url", "password"];
  function typing(t) {
    return t && (t.tagName === "TEXTAREA" || t.isContentEditable ||
      (t.tagName === "INPUT" && TEXT_TYPES.includes(t.type)));
  }
  function keys(map) {
    document.addEventListener("keydown", (ev) => {
      const t = ev.target;
      if (typing(t)) {
        if (ev.key === "Escape") t.blur();
        return;
      }
      if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
      const help = document.getElementById("help");
      if (help && !help.hidden && ev.key !== "?" && ev.key !== "Escape") return; /* the overlay is modal */
      if (t && t.tagName === "BUTTON" && (ev.key === "Enter" || ev.key === " ")) return;
      const f = map[ev.key];
      if (f) { ev.preventDefault(); f(ev); }
      else if (ev.key === " " && t && t.tagName !== "INPUT") ev.preventDefault();
    }, true);
  }

  /* A button used with the mouse gives its focus back, so the next Space
   * or Enter is a shortcut again, not another press of that button. */
  function onClick(button, f) {
    button.addEventListener("click", (ev) => {
      f(ev);
      if (ev.detail > 0) button.blur();
    });
  }

  /* RFC 4180 rows, as io/csvout.c writes them (the leading ' that guards a
   * formula is taken off again, as io/labels.c does). Returns
   * {rows: [[field...]], lines: [line of each row]}; throws on a quote left
   * open, naming its line. */
  function parseCsv(text) {
    const rows = [], lines = [];
    let row = [], f = "", q = false, line = 1, rowLine = 1, i = 0;
    const unguard = (x) => (/^''*[=+\-@\t\r]/.test(x) ? x.slice(1) : x); /* le_csv_unguard */
    const endField = () => { row.push(unguard(f)); f = ""; };
    if (text.charCodeAt(0) === 0xfeff) i = 1;
    for (; i < text.length; i++) {
      const c = text[i];
      if (q) {
        if (c === '"' && text[i + 1] === '"') { f += '"'; i++; }
        else if (c === '"') q = false;
        else { if (c === "\n") line++; f += c; }
      } else if (c === '"' && f === "") q = true;
      else if (c === ",") endField();
      else if (c === "\n" || c === "\r") {
        if (c === "\r" && text[i + 1] === "\n") i++;
        endField();
        if (row.length > 1 || row[0] !== "") { rows.push(row); lines.push(rowLine); }
        row = []; line++; rowLine = line;
      } else f += c;
    }
    if (q) throw new Error("line " + rowLine + ": a quoted field is not closed");
    if (f !== "" || row.length) { endField(); rows.push(row); lines.push(rowLine); }
    return { rows, lines };
  }

  /* Read a file the user picked (an <input type=file>) as text. */
  function readFile(input, f) {
    input.addEventListener("change", () => {
      const file = input.files && input.files[0];
      if (!file) return;
      file.text().then((text) => { input.value = ""; f(file.name, text); });
    });
  }

  /* The ? overlay: shown and hidden by the key, Escape or its button. */
  function helpToggle() {
    const box = document.getElementById("help");
    box.hidden = !box.hidden;
    if (!box.hidden) box.querySelector("button").focus();
  }

  /* The one-line banner under the header: info, a warning with a yes
   * button (onYes), or an error. */
  function banner(text, kind, onYes) {
    const b = document.getElementById("banner"), yes = document.getElementById("banner-yes");
    b.hidden = false;
    b.dataset.kind = kind || "info";
    document.getElementById("banner-text").textContent = text;
    yes.hidden = !onYes;
    yes.onclick = onYes ? () => { hideBanner(); onYes(); } : null;
    if (onYes) yes.focus();
  }
  function hideBanner() { document.getElementById("banner").hidden = true; }

  /* Escape: closes the help, else the banner. */
  function escape() {
    if (!document.getElementById("help").hidden) helpToggle();
    else hideBanner();
  }

  /* A CSV picked for import with its columns by (lower-case) name: null
   * after the banner named the file, the line and the problem. */
  function csvTable(name, text, need) {
    let csv;
    try { csv = parseCsv(text); } catch (e) { banner(name + ": " + e.message + "; nothing imported", "error"); return null; }
    const col = {};
    (csv.rows[0] || []).forEach((h, i) => { h = h.trim().toLowerCase(); if (!(h in col)) col[h] = i; });
    const miss = need.filter((k) => !(k in col));
    if (miss.length) {
      banner(name + ": line 1: the header needs the columns " + need.join(",") + " (" + miss.join(", ") + " missing); nothing imported", "error");
      return null;
    }
    return { rows: csv.rows.slice(1), lines: csv.lines.slice(1), col };
  }

  /* The buttons both pages have: import (a file picker), help, dismiss. */
  function commonButtons(onImport) {
    const $ = (id) => document.getElementById(id);
    onClick($("btn-import"), () => $("import-file").click());
    onClick($("btn-help"), helpToggle);
    onClick($("help-close"), helpToggle);
    onClick($("banner-no"), hideBanner);
    readFile($("import-file"), onImport);
  }

  return { banner, hideBanner, escape, csvTable, commonButtons, data, el, svg, clear, hash, store, csvField, download, fmtUs, keys, onClick, parseCsv, readFile, helpToggle };
})();
