/* The labeling page (LabelEase §IV-A, Fig. 4): one representative trace at
 * a time, with its call tree, a Jaeger-like span timeline and the corpus
 * reference statistics of each span's call path; labels are kept in
 * localStorage after every action and exported as trace_id,label,note. */
(() => {
  const D = LE.data();
  const T = D.traces;
  const $ = (id) => document.getElementById(id);
  const key = "labelease:labels:" + LE.hash(D.corpus + "\n" + T.map((t) => t.id).join("\n"));
  const store = LE.store(key);
  const FILTERS = ["all", "unlabeled", "errors", "slow"];

  /* labels: id -> "normal"|"abnormal"; notes: id -> text; unsure: id ->
   * true (skipped, not a label); history: undo stack of {id, prev, unsure}
   * (the label and the unsure mark before). */
  const saved = store.load() || {};
  const S = {
    labels: saved.labels || {}, notes: saved.notes || {}, unsure: saved.unsure || {}, history: saved.history || [],
    cur: 0, filter: FILTERS.includes(saved.filter) ? saved.filter : "all", fold: {},
  };
  S.cur = Math.min(Math.max(saved.cur | 0, 0), Math.max(T.length - 1, 0));

  function persist() {
    const ok = store.save({ v: 2, labels: S.labels, notes: S.notes, unsure: S.unsure, history: S.history.slice(-1000),
      cur: S.cur, filter: S.filter });
    $("storage-warning").hidden = ok;
  }

  const stateOf = (t) => S.labels[t.id] || (S.unsure[t.id] ? "unsure" : "unlabeled");
  const MARK = { normal: "✓ normal", abnormal: "✗ ABNORMAL", unsure: "? unsure", unlabeled: "· unlabeled" };
  const plural = (n, what) => n + " " + what + (n === 1 ? "" : "s");
  /* Still to do: neither labelled nor skipped as unsure. */
  const todo = (t) => !S.labels[t.id] && !S.unsure[t.id];

  const banner = LE.banner, hideBanner = LE.hideBanner;

  /* ---- per-trace facts ---- */
  function bounds(t) {
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < t.start.length; i++) {
      lo = Math.min(lo, t.start[i]);
      hi = Math.max(hi, t.start[i] + t.duration[i]);
    }
    return t.start.length ? [lo, hi] : [0, 0];
  }
  const traceDuration = (t) => { const b = bounds(t); return b[1] - b[0]; };

  function depths(t) {
    const d = new Array(t.parent.length).fill(0);
    for (let i = 0; i < t.parent.length; i++) if (t.parent[i] >= 0 && t.parent[i] < i) d[i] = d[t.parent[i]] + 1;
    return d;
  }

  function children(t) {
    const n = t.parent.length, kids = Array.from({ length: n }, () => []);
    for (let i = 0; i < n; i++) if (t.parent[i] >= 0 && t.parent[i] < n && t.parent[i] !== i) kids[t.parent[i]].push(i);
    return kids;
  }

  const svcName = (t, i) => D.services[t.service[i]] ?? "?";
  const opName = (t, i) => D.operations[t.operation[i]] ?? "?";
  const bad = (t, i) => t.error[i] || t.status[i] >= 400;

  /* How far a span is from its call path's reference: in standard deviations
   * when the corpus has spread, else as a ratio to the mean. Slow: 3σ (or
   * twice the mean) above it, the rule the list's "slow" filter uses. */
  function deviation(t, i) {
    const m = t.path_mean[i], sd = t.path_std[i], d = t.duration[i];
    if (m === null || !(t.path_count[i] > 0)) return { text: "no ref", far: false, slow: false };
    if (sd > 0 && t.path_count[i] > 1) {
      const z = (d - m) / sd;
      return { text: (z >= 0 ? "+" : "") + z.toFixed(1) + "σ", far: Math.abs(z) >= 3, slow: z >= 3 };
    }
    const r = m > 0 ? d / m : 1;
    return { text: "×" + r.toFixed(2), far: r >= 2 || r <= 0.5, slow: r >= 2 };
  }
  const slowSpan = (t, i) => deviation(t, i).slow;
  /* Rounds >= 2: the label the earlier rounds' labels propagate to this
   * trace and its margin (select stores them in reps.h5). Shown only: it is
   * never written as a label. A null margin: every label so far is one kind. */
  const hasSuggestion = (t) => t.suggested === 0 || t.suggested === 1;
  const suggestedName = (t) => (t.suggested === 1 ? "abnormal" : "normal");
  function suggestionText(t) {
    const m = t.suggested_margin;
    return "suggested: " + suggestedName(t) + ", " +
      (typeof m === "number" ? "margin " + (m < 0.01 && m > 0 ? m.toPrecision(2) : m.toFixed(2)) :
        "every label so far is " + suggestedName(t));
  }
  const hasErrors = (t) => t.parent.some((_, i) => bad(t, i));
  const hasSlow = (t) => t.parent.some((_, i) => slowSpan(t, i));

  function inFilter(t) {
    if (S.filter === "unlabeled") return !S.labels[t.id];
    if (S.filter === "errors") return hasErrors(t);
    if (S.filter === "slow") return hasSlow(t);
    return true;
  }

  /* ---- the list ---- */
  function renderList() {
    const ol = $("trace-list");
    LE.clear(ol);
    T.forEach((t, i) => {
      const li = LE.el("li");
      li.dataset.index = i;
      li.setAttribute("role", "option");
      li.tabIndex = 0;
      li.appendChild(LE.el("span", "t-id", t.id)).title = t.id;
      li.appendChild(LE.el("span", "t-size", "cluster " + t.cluster_size.toLocaleString("en")));
      const sub = li.appendChild(LE.el("span", "t-sub"));
      sub.appendChild(LE.el("span", "t-mark"));
      sub.appendChild(document.createTextNode(" · " + plural(t.parent.length, "span") + " · " + LE.fmtUs(traceDuration(t)) +
        (hasErrors(t) ? " · errors" : "") + (hasSlow(t) ? " · slow" : "")));
      if (hasSuggestion(t)) {
        const sg = sub.appendChild(LE.el("span", "t-sugg", " · suggests " + suggestedName(t)));
        sg.dataset.suggested = suggestedName(t);
        sg.title = suggestionText(t) + " (the labels so far, propagated; not a label)";
      }
      li.addEventListener("click", () => go(i));
      li.addEventListener("focus", () => { if (S.cur !== i) go(i); });
      ol.appendChild(li);
    });
    $("list-head").textContent = T.length + " representatives of " + Number(D.n_corpus_traces).toLocaleString("en") +
      " traces (" + D.method + ", round " + D.round + ")";
  }

  function refreshList() {
    let shown = 0;
    document.querySelectorAll("#trace-list li").forEach((li) => {
      const i = +li.dataset.index, st = stateOf(T[i]);
      li.dataset.state = st;
      li.querySelector(".t-mark").textContent = MARK[st];
      li.classList.toggle("current", i === S.cur);
      li.setAttribute("aria-selected", i === S.cur ? "true" : "false");
      li.hidden = !inFilter(T[i]) && i !== S.cur;
      if (!li.hidden) shown++;
    });
    $("btn-filter").firstChild.textContent = "show: " + S.filter + " (" + shown + ")";
    const cur = document.querySelector("#trace-list li.current");
    if (cur) {
      cur.scrollIntoView({ block: "nearest" });
      /* Keyboard users who are in the list stay on the shown row. */
      if (document.activeElement && document.activeElement.closest && document.activeElement.closest("#trace-list") &&
        document.activeElement !== cur) cur.focus();
    }
  }

  function renderProgress() {
    const n = T.filter((t) => S.labels[t.id]).length;
    const abn = T.filter((t) => S.labels[t.id] === "abnormal").length;
    const uns = T.filter((t) => !S.labels[t.id] && S.unsure[t.id]).length;
    $("progress").textContent = n + " / " + T.length + " labelled (" + abn + " abnormal" + (uns ? ", " + uns + " unsure" : "") + ")";
    $("progress-bar").style.width = (T.length ? (100 * n) / T.length : 0) + "%";
  }

  /* ---- one trace ---- */
  function renderSummary(t) {
    const s = $("summary");
    LE.clear(s);
    s.appendChild(LE.el("span", "s-id", t.id));
    const st = s.appendChild(LE.el("span", "s-state", MARK[stateOf(t)]));
    st.dataset.state = stateOf(t);
    if (hasSuggestion(t)) {
      const sg = s.appendChild(LE.el("span", "s-sugg", suggestionText(t)));
      sg.dataset.suggested = suggestedName(t);
      sg.title = "what the earlier rounds' labels propagate to this trace (labelease propagate); not a label: press n or a";
    }
    const errs = t.parent.filter((_, i) => bad(t, i)).length, slows = t.parent.filter((_, i) => slowSpan(t, i)).length;
    for (const txt of [
      "trace " + (S.cur + 1) + " of " + T.length,
      "cluster size " + t.cluster_size.toLocaleString("en"),
      plural(t.parent.length, "span"),
      "duration " + LE.fmtUs(traceDuration(t)),
      errs + " error spans",
      slows + " slow spans",
      "corpus index " + t.index,
    ]) s.appendChild(LE.el("span", "le-muted", txt));
    $("note").value = S.notes[t.id] || "";
  }

  /* Identical sibling calls (same service, operation and call subtree)
   * become one box "×N": a trace of 47 spans that calls the cart 20 times
   * draws one cart box. The signature is built children first. */
  function signatures(t, kids) {
    const sig = new Array(t.parent.length), seen = new Array(t.parent.length).fill(false);
    const walk = (i) => {
      if (seen[i]) return sig[i] || "";
      seen[i] = true;
      sig[i] = t.service[i] + ":" + t.operation[i] + "(" + kids[i].map(walk).join(",") + ")";
      return sig[i];
    };
    t.parent.forEach((_, i) => walk(i));
    return sig;
  }

  function subtreeSize(kids, i) {
    let n = 1;
    for (const k of kids[i]) n += subtreeSize(kids, k);
    return n;
  }

  /* The drawn boxes in preorder: {spans: [members], first, depth, covers},
   * so the root is the first row and every parent sits above its calls. */
  function callBoxes(t) {
    const kids = children(t), sig = signatures(t, kids), boxes = [];
    const visit = (members, depth, parentBox) => {
      const first = members[0];
      const box = { spans: members, first, depth, parent: parentBox,
        covers: 1 + (members.length - 1) * subtreeSize(kids, first) };
      boxes.push(box);
      const groups = new Map();
      for (const k of kids[first]) {
        if (!groups.has(sig[k])) groups.set(sig[k], []);
        groups.get(sig[k]).push(k);
      }
      for (const g of groups.values()) visit(g, depth + 1, box);
    };
    t.parent.forEach((p, i) => { if (p < 0 || p >= t.parent.length || p === i) visit([i], 0, null); });
    return boxes;
  }

  function renderTopology(t) {
    const box = $("topology");
    LE.clear(box);
    const boxes = callBoxes(t), maxDepth = Math.max(0, ...boxes.map((b) => b.depth));
    /* Columns narrow to fit the pane before the box scrolls sideways. */
    const avail = Math.max(box.clientWidth - 20, 400);
    const W = Math.max(110, Math.min(190, Math.floor(avail / (maxDepth + 1)))), NW = W - 22, H = 28, NH = 22, PAD = 8;
    const g = LE.svg("svg", { width: PAD * 2 + (maxDepth + 1) * W, height: PAD * 2 + boxes.length * H, role: "group",
      "aria-label": "call tree of trace " + t.id });
    boxes.forEach((b, row) => { b.x = PAD + b.depth * W; b.y = PAD + row * H; });
    for (const b of boxes) {
      if (!b.parent) continue;
      const x1 = b.parent.x + 10, y1 = b.parent.y + NH, x2 = b.x, y2 = b.y + NH / 2;
      g.appendChild(LE.svg("path", { class: "edge", d: `M${x1},${y1} V${y2} H${x2}` }));
    }
    const chars = Math.floor((NW - 12) / 6.4);
    for (const b of boxes) {
      const i = b.first, m = b.spans.length;
      const isBad = b.spans.some((s) => bad(t, s)), isSlow = b.spans.some((s) => slowSpan(t, s));
      const node = LE.svg("g", { class: "node" + (isBad ? " error" : "") + (isSlow ? " slow" : ""),
        transform: `translate(${b.x},${b.y})`, tabindex: 0, role: "button", "data-span": i, "data-covers": b.covers });
      const durs = b.spans.map((s) => LE.fmtUs(t.duration[s]));
      const full = svcName(t, i) + " · " + opName(t, i) + (m > 1 ? " · " + m + " calls: " + durs.slice(0, 12).join(", ") +
        (m > 12 ? ", …" : "") : " · " + durs[0]) + (t.status[i] ? " · status " + t.status[i] : "") +
        (isBad ? " · error" : "") + (isSlow ? " · slow (≥3σ over its reference)" : "");
      node.setAttribute("aria-label", full);
      node.appendChild(LE.svg("title", {}, full));
      node.appendChild(LE.svg("rect", { width: NW, height: NH, fill: serviceColour(t.service[i]) }));
      const suffix = (m > 1 ? " ×" + m : "") + (isBad ? " err" : "") + (isSlow ? " slow" : "");
      let name = svcName(t, i);
      if (name.length + suffix.length > chars) name = name.slice(0, Math.max(chars - suffix.length - 1, 3)) + "…";
      node.appendChild(LE.svg("text", { x: 6, y: 15 }, name + suffix));
      const find = () => {
        const r = document.querySelector(`#timeline .span-row[data-span="${i}"]`);
        if (r) { r.scrollIntoView({ block: "center" }); r.classList.add("flash"); setTimeout(() => r.classList.remove("flash"), 900); }
      };
      node.addEventListener("click", find);
      node.addEventListener("keydown", (ev) => { if (ev.key === " ") find(); });
      g.appendChild(node);
    }
    box.appendChild(g);
  }

  function serviceColour(s) {
    return `hsl(${(s * 137.508) % 360}, 60%, 86%)`;
  }

  /* The ruler over the bars: the trace's time at 0, halfway and the end. */
  function ruler(total) {
    const r = LE.el("span", "sp-ruler");
    [0, 0.5, 1].forEach((f) => {
      const tick = r.appendChild(LE.el("span", "tick" + (f === 1 ? " end" : ""), LE.fmtUs(total * f)));
      tick.style.left = 100 * f + "%";
    });
    return r;
  }

  function hiddenByFold(t, i) {
    for (let p = t.parent[i], guard = 0; p >= 0 && p < t.parent.length && guard < t.parent.length; p = t.parent[p], guard++)
      if (S.fold[t.id + ":" + p]) return true;
    return false;
  }

  function renderTimeline(t) {
    const box = $("timeline");
    LE.clear(box);
    const [lo, hi] = bounds(t), span = Math.max(hi - lo, 1), depth = depths(t), kids = children(t);
    const head = LE.el("div", "span-head");
    head.appendChild(LE.el("span", "", "service · operation"));
    head.appendChild(ruler(hi - lo));
    for (const h of ["duration", "status", "reference (mean ± std, n)", "vs ref"]) head.appendChild(LE.el("span", "", h));
    head.lastChild.title = "distance from the reference: +3.2σ = 3.2 standard deviations slower; ×2.10 = 2.1 times the mean where the corpus has no spread";
    box.appendChild(head);
    for (let i = 0; i < t.parent.length; i++) {
      if (hiddenByFold(t, i)) continue;
      const dev = deviation(t, i);
      const row = LE.el("div", "span-row" + (bad(t, i) ? " error" : "") + (dev.slow ? " slow" : ""));
      row.dataset.span = i;
      const name = row.appendChild(LE.el("span", "sp-name"));
      name.style.paddingLeft = depth[i] * 12 + "px";
      if (kids[i].length) {
        const k = t.id + ":" + i, folded = !!S.fold[k];
        const tog = name.appendChild(LE.el("button", "sp-fold", folded ? "▸" : "▾"));
        tog.setAttribute("aria-expanded", folded ? "false" : "true");
        tog.title = (folded ? "show " : "hide ") + plural(subtreeSize(kids, i) - 1, "span") + " below";
        LE.onClick(tog, () => { S.fold[k] = !folded; renderTimeline(t); });
      } else name.appendChild(LE.el("span", "sp-fold-none"));
      name.appendChild(LE.el("span", "sp-svc", svcName(t, i)));
      name.appendChild(LE.el("span", "sp-op", opName(t, i)));
      name.title = svcName(t, i) + " · " + opName(t, i);
      const track = row.appendChild(LE.el("span", "sp-track"));
      const bar = track.appendChild(LE.el("span", "sp-bar"));
      bar.style.left = (100 * (t.start[i] - lo)) / span + "%";
      bar.style.width = (100 * t.duration[i]) / span + "%";
      bar.title = "starts at +" + LE.fmtUs(t.start[i] - lo) + ", lasts " + LE.fmtUs(t.duration[i]);
      row.appendChild(LE.el("span", "sp-dur", LE.fmtUs(t.duration[i])));
      const status = (t.status[i] ? String(t.status[i]) : "–") + (t.error[i] ? " error" : "") + (dev.slow ? " slow" : "");
      row.appendChild(LE.el("span", "sp-status" + (bad(t, i) || dev.slow ? " bad" : ""), status));
      const ref = t.path_count[i] > 0
        ? LE.fmtUs(t.path_mean[i]) + " ± " + LE.fmtUs(t.path_std[i]) + ", n=" + t.path_count[i].toLocaleString("en")
        : "–";
      row.appendChild(LE.el("span", "sp-ref", ref)).title = "reference of this call path: " + ref;
      const dv = row.appendChild(LE.el("span", "sp-dev " + (dev.far ? "far" : "near"), dev.text));
      dv.title = "reference " + ref;
      box.appendChild(row);
    }
  }

  function render() {
    if (!T.length) { $("summary").textContent = "This file has no representative traces."; renderProgress(); return; }
    const t = T[S.cur];
    renderSummary(t);
    renderTopology(t);
    renderTimeline(t);
    refreshList();
    renderProgress();
  }

  /* ---- actions ---- */
  function go(i) {
    if (i < 0 || i >= T.length) return;
    S.cur = i;
    persist();
    render();
  }

  /* j/k walk the list as it is filtered. */
  function step(dir) {
    for (let i = S.cur + dir; i >= 0 && i < T.length; i += dir) if (inFilter(T[i])) return go(i);
  }

  /* The next trace still to do after the current one (wrapping), in the
   * filter if it has one; says so when there is none. */
  function nextTodo() {
    for (let k = 1; k <= T.length; k++) {
      const i = (S.cur + k) % T.length;
      if (todo(T[i]) && inFilter(T[i])) return go(i);
    }
    persist();
    render();
    banner(S.filter === "all" ? "Every trace is labelled or skipped: export the labels." :
      "No trace left to label in this filter (" + S.filter + ").", "info");
  }

  function record(id) {
    S.history.push({ id, prev: S.labels[id] || null, unsure: !!S.unsure[id] });
  }

  function label(value) {
    if (!T.length) return;
    const id = T[S.cur].id;
    record(id);
    S.labels[id] = value;
    delete S.unsure[id];
    nextTodo();
  }

  function skip() {
    if (!T.length) return;
    const id = T[S.cur].id;
    record(id);
    delete S.labels[id];
    S.unsure[id] = true;
    nextTodo();
  }

  function undo() {
    const h = S.history.pop();
    if (!h) return;
    if (h.prev) S.labels[h.id] = h.prev;
    else delete S.labels[h.id];
    if (h.unsure) S.unsure[h.id] = true;
    else delete S.unsure[h.id];
    const i = T.findIndex((t) => t.id === h.id);
    if (i >= 0) S.cur = i;
    persist();
    render();
  }

  function cycleFilter() {
    S.filter = FILTERS[(FILTERS.indexOf(S.filter) + 1) % FILTERS.length];
    persist();
    refreshList();
  }

  function download() {
    const lines = ["trace_id,label,note"];
    for (const t of T) {
      if (!S.labels[t.id]) continue;
      lines.push([t.id, S.labels[t.id], S.notes[t.id] || ""].map(LE.csvField).join(","));
    }
    LE.download("labels.csv", lines.join("\n") + "\n");
  }

  /* A partial file is fine (label in sessions), but never by accident. */
  function exportCsv() {
    const n = T.filter((t) => S.labels[t.id]).length;
    if (n === T.length) { hideBanner(); return download(); }
    const uns = T.filter((t) => !S.labels[t.id] && S.unsure[t.id]).length;
    banner("Only " + n + " of " + T.length + " traces are labelled (" + (T.length - n - uns) + " not yet, " + uns +
      " unsure): the file will hold " + plural(n, "row") + ".", "warn", download);
  }

  /* A labels file (this page's export, the terminal's -o file, a
   * colleague's): its rows for these traces replace the browser's; rows for
   * other traces (another round) are counted and left out. Nothing is
   * taken from a file with an error. */
  function importCsv(name, text) {
    const csv = LE.csvTable(name, text, ["trace_id", "label"]);
    if (!csv) return;
    const ci = csv.col.trace_id, cl = csv.col.label, cn = csv.col.note ?? -1;
    const byId = new Map(T.map((t, i) => [t.id, i]));
    const got = {}, notes = {}, drop = { other: 0 };
    for (let r = 0; r < csv.rows.length; r++) {
      const row = csv.rows[r], id = (row[ci] || "").trim(), v = (row[cl] || "").trim().toLowerCase();
      const l = v === "normal" || v === "0" ? "normal" : v === "abnormal" || v === "1" ? "abnormal" : null;
      if (!l) return banner(name + ": line " + csv.lines[r] + ": unknown label '" + v.slice(0, 40) +
        "' (expected normal, abnormal, 0 or 1); nothing imported", "error");
      if (!byId.has(id)) { drop.other++; continue; }
      got[id] = l;
      if (cn >= 0 && row[cn]) notes[id] = row[cn];
    }
    let changed = 0;
    for (const id in got) {
      if (S.labels[id] && S.labels[id] !== got[id]) changed++;
      S.labels[id] = got[id];
      delete S.unsure[id];
    }
    Object.assign(S.notes, notes);
    const n = Object.keys(got).length, abn = Object.values(got).filter((l) => l === "abnormal").length;
    S.cur = T.length - 1; /* nextTodo starts after it: the first trace still to do */
    nextTodo();
    banner(name + ": " + plural(n, "label") + " read (" + abn + " abnormal)" + (changed ? ", " + changed + " replaced this browser's" : "") +
      (drop.other ? ", " + plural(drop.other, "row") + " for traces not on this page left out" : "") + ".", "info");
  }

  LE.onClick($("btn-normal"), () => label("normal"));
  LE.onClick($("btn-abnormal"), () => label("abnormal"));
  LE.onClick($("btn-skip"), skip);
  LE.onClick($("btn-next"), () => step(1));
  LE.onClick($("btn-prev"), () => step(-1));
  LE.onClick($("btn-todo"), nextTodo);
  LE.onClick($("btn-undo"), undo);
  LE.onClick($("btn-export"), exportCsv);
  LE.onClick($("btn-filter"), cycleFilter);
  LE.commonButtons(importCsv);
  $("note").addEventListener("input", (ev) => {
    const id = T[S.cur] && T[S.cur].id;
    if (!id) return;
    if (ev.target.value) S.notes[id] = ev.target.value;
    else delete S.notes[id];
    persist();
  });
  LE.keys({
    n: () => label("normal"), a: () => label("abnormal"), s: skip,
    j: () => step(1), ArrowDown: () => step(1),
    k: () => step(-1), ArrowUp: () => step(-1),
    Enter: nextTodo, u: undo, f: cycleFilter, "?": LE.helpToggle,
    Escape: LE.escape,
  });
  window.addEventListener("resize", () => { if (T.length) renderTopology(T[S.cur]); });

  renderList();
  render();
  persist();
  document.body.dataset.ready = "1"; /* for tests: the page has rendered */
})();
