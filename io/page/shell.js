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

  /* Keyboard shortcuts, ignored while the user types in a field. */
  function keys(map) {
    document.addEventListener("keydown", (ev) => {
      const t = ev.target;
      if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.isContentEditable)) {
        if (ev.key === "Escape") t.blur();
        return;
      }
      if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
      const f = map[ev.key];
      if (f) { ev.preventDefault(); f(ev); }
    });
  }

  return { data, el, svg, clear, hash, store, csvField, download, fmtUs, keys };
})();
