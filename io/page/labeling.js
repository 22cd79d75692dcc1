/* The labeling page (LabelEase §IV-A, Fig. 4): one representative trace at
 * a time, with its topology, a Jaeger-like span timeline and the corpus
 * reference statistics of each span's call path; labels are kept in
 * localStorage after every action and exported as trace_id,label,note. */
(() => {
  const D = LE.data();
  const T = D.traces;
  const $ = (id) => document.getElementById(id);
  const key = "labelease:labels:" + LE.hash(D.corpus + "\n" + T.map((t) => t.id).join("\n"));
  const store = LE.store(key);

  /* labels: id -> "normal"|"abnormal"; notes: id -> text; history: undo
   * stack of {id, prev} (prev: the label before, null for none). */
  const saved = store.load() || {};
  const S = { labels: saved.labels || {}, notes: saved.notes || {}, history: saved.history || [], cur: 0 };
  S.cur = Math.min(Math.max(saved.cur | 0, 0), Math.max(T.length - 1, 0));

  function persist() {
    const ok = store.save({ v: 1, labels: S.labels, notes: S.notes, history: S.history.slice(-1000), cur: S.cur });
    $("storage-warning").hidden = ok;
  }

  const stateOf = (t) => S.labels[t.id] || "unlabeled";
  const plural = (n, what) => n + " " + what + (n === 1 ? "" : "s");

  /* ---- the list ---- */
  function renderList() {
    const ol = $("trace-list");
    LE.clear(ol);
    T.forEach((t, i) => {
      const li = LE.el("li");
      li.dataset.index = i;
      li.dataset.state = stateOf(t);
      li.appendChild(LE.el("span", "t-id", t.id)).title = t.id;
      li.appendChild(LE.el("span", "t-size", "cluster " + t.cluster_size.toLocaleString("en")));
      li.appendChild(LE.el("span", "t-sub", plural(t.parent.length, "span") + " · " + LE.fmtUs(traceDuration(t)) +
        (t.error.some((e) => e) ? " · errors" : "")));
      li.addEventListener("click", () => go(i));
      ol.appendChild(li);
    });
    $("list-head").textContent = T.length + " representatives of " + Number(D.n_corpus_traces).toLocaleString("en") +
      " traces (" + D.method + ", round " + D.round + ")";
  }

  function refreshList() {
    document.querySelectorAll("#trace-list li").forEach((li) => {
      const i = +li.dataset.index;
      li.dataset.state = stateOf(T[i]);
      li.classList.toggle("current", i === S.cur);
    });
    const cur = document.querySelector("#trace-list li.current");
    if (cur) cur.scrollIntoView({ block: "nearest" });
  }

  function renderProgress() {
    const n = T.filter((t) => S.labels[t.id]).length;
    const abn = T.filter((t) => S.labels[t.id] === "abnormal").length;
    $("progress").textContent = n + " / " + T.length + " labelled (" + abn + " abnormal)";
    $("progress-bar").style.width = (T.length ? (100 * n) / T.length : 0) + "%";
  }

  /* ---- one trace ---- */
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

  const svcName = (t, i) => D.services[t.service[i]] ?? "?";
  const opName = (t, i) => D.operations[t.operation[i]] ?? "?";
  const bad = (t, i) => t.error[i] || t.status[i] >= 500 || (t.status[i] >= 400 && t.status[i] < 500);

  function renderSummary(t) {
    const s = $("summary");
    LE.clear(s);
    s.appendChild(LE.el("span", "s-id", t.id));
    const st = s.appendChild(LE.el("span", "s-state", stateOf(t)));
    st.dataset.state = stateOf(t);
    const errs = t.error.filter((e) => e).length;
    for (const txt of [
      "trace " + (S.cur + 1) + " of " + T.length,
      "cluster size " + t.cluster_size.toLocaleString("en"),
      plural(t.parent.length, "span"),
      "duration " + LE.fmtUs(traceDuration(t)),
      errs + " error spans",
      "corpus index " + t.index,
    ]) s.appendChild(LE.el("span", "le-muted", txt));
    $("note").value = S.notes[t.id] || "";
  }

  /* Layered tree: depth gives the column, leaves take rows in preorder and a
   * parent sits at the middle of its children, so calls read left to right. */
  function renderTopology(t) {
    const box = $("topology");
    LE.clear(box);
    const n = t.parent.length, depth = depths(t);
    const kids = Array.from({ length: n }, () => []);
    for (let i = 1; i < n; i++) if (t.parent[i] >= 0) kids[t.parent[i]].push(i);
    const y = new Array(n).fill(0);
    let leaf = 0;
    for (let i = n - 1; i >= 0; i--) if (!kids[i].length) y[i] = -1; /* mark leaves */
    for (let i = 0; i < n; i++) if (y[i] === -1) y[i] = leaf++;
    for (let i = n - 1; i >= 0; i--) if (kids[i].length) y[i] = (y[kids[i][0]] + y[kids[i][kids[i].length - 1]]) / 2;
    const W = 150, H = 30, NW = 128, NH = 22, PAD = 8;
    const maxDepth = Math.max(0, ...depth);
    const g = LE.svg("svg", { width: PAD * 2 + (maxDepth + 1) * W, height: PAD * 2 + Math.max(leaf, 1) * H, role: "img" });
    g.appendChild(LE.svg("title", {}, "call tree of trace " + t.id));
    const px = (i) => PAD + depth[i] * W, py = (i) => PAD + y[i] * H;
    for (let i = 1; i < n; i++) {
      const p = t.parent[i];
      if (p < 0) continue;
      const x1 = px(p) + NW, y1 = py(p) + NH / 2, x2 = px(i), y2 = py(i) + NH / 2, mx = (x1 + x2) / 2;
      g.appendChild(LE.svg("path", { class: "edge", d: `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}` }));
    }
    for (let i = 0; i < n; i++) {
      const node = LE.svg("g", { class: "node" + (bad(t, i) ? " error" : ""), transform: `translate(${px(i)},${py(i)})` });
      node.appendChild(LE.svg("title", {}, svcName(t, i) + " · " + opName(t, i) + " · " + LE.fmtUs(t.duration[i]) +
        (t.status[i] ? " · status " + t.status[i] : "") + (t.error[i] ? " · error" : "")));
      node.appendChild(LE.svg("rect", { width: NW, height: NH, fill: serviceColour(t.service[i]) }));
      const name = svcName(t, i);
      node.appendChild(LE.svg("text", { x: 6, y: 15 }, name.length > 20 ? name.slice(0, 19) + "…" : name));
      node.addEventListener("click", () => {
        const row = document.querySelector(`#timeline .span-row[data-span="${i}"]`);
        if (row) row.scrollIntoView({ block: "center" });
      });
      g.appendChild(node);
    }
    box.appendChild(g);
  }

  function serviceColour(s) {
    return `hsl(${(s * 137.508) % 360}, 60%, 86%)`;
  }

  /* How far a span is from its call path's reference: in standard deviations
   * when the corpus has spread, else as a ratio to the mean. */
  function deviation(t, i) {
    const m = t.path_mean[i], sd = t.path_std[i], d = t.duration[i];
    if (m === null || !(t.path_count[i] > 0)) return { text: "no ref", far: false };
    if (sd > 0 && t.path_count[i] > 1) {
      const z = (d - m) / sd;
      return { text: (z >= 0 ? "+" : "") + z.toFixed(1) + "σ", far: Math.abs(z) >= 3 };
    }
    const r = m > 0 ? d / m : 1;
    return { text: "×" + r.toFixed(2), far: r >= 2 || r <= 0.5 };
  }

  function renderTimeline(t) {
    const box = $("timeline");
    LE.clear(box);
    const head = LE.el("div", "span-head");
    for (const h of ["service · operation", "timeline", "duration", "status", "reference (mean ± std, n)", "vs ref"])
      head.appendChild(LE.el("span", "", h));
    box.appendChild(head);
    const [lo, hi] = bounds(t), span = Math.max(hi - lo, 1), depth = depths(t);
    for (let i = 0; i < t.parent.length; i++) {
      const row = LE.el("div", "span-row" + (bad(t, i) ? " error" : ""));
      row.dataset.span = i;
      const name = row.appendChild(LE.el("span", "sp-name"));
      name.style.paddingLeft = depth[i] * 14 + "px";
      name.appendChild(LE.el("span", "sp-svc", svcName(t, i)));
      name.appendChild(LE.el("span", "sp-op", opName(t, i)));
      name.title = svcName(t, i) + " · " + opName(t, i);
      const track = row.appendChild(LE.el("span", "sp-track"));
      const bar = track.appendChild(LE.el("span", "sp-bar"));
      bar.style.left = (100 * (t.start[i] - lo)) / span + "%";
      bar.style.width = (100 * t.duration[i]) / span + "%";
      bar.title = "starts at +" + LE.fmtUs(t.start[i] - lo) + ", lasts " + LE.fmtUs(t.duration[i]);
      row.appendChild(LE.el("span", "sp-dur", LE.fmtUs(t.duration[i])));
      const status = (t.status[i] ? String(t.status[i]) : "–") + (t.error[i] ? " error" : "");
      row.appendChild(LE.el("span", "sp-status" + (bad(t, i) ? " bad" : ""), status));
      const ref = t.path_count[i] > 0
        ? LE.fmtUs(t.path_mean[i]) + " ± " + LE.fmtUs(t.path_std[i]) + ", n=" + t.path_count[i].toLocaleString("en")
        : "–";
      row.appendChild(LE.el("span", "sp-ref", ref));
      const dev = deviation(t, i);
      row.appendChild(LE.el("span", "sp-dev " + (dev.far ? "far" : "near"), dev.text));
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

  function label(value) {
    if (!T.length) return;
    const id = T[S.cur].id;
    S.history.push({ id, prev: S.labels[id] || null });
    S.labels[id] = value;
    if (S.cur + 1 < T.length) S.cur++;
    persist();
    render();
  }

  function undo() {
    const h = S.history.pop();
    if (!h) return;
    if (h.prev) S.labels[h.id] = h.prev;
    else delete S.labels[h.id];
    const i = T.findIndex((t) => t.id === h.id);
    if (i >= 0) S.cur = i;
    persist();
    render();
  }

  function exportCsv() {
    const lines = ["trace_id,label,note"];
    for (const t of T) {
      if (!S.labels[t.id]) continue;
      lines.push([t.id, S.labels[t.id], S.notes[t.id] || ""].map(LE.csvField).join(","));
    }
    LE.download("labels.csv", lines.join("\n") + "\n");
  }

  $("btn-normal").addEventListener("click", () => label("normal"));
  $("btn-abnormal").addEventListener("click", () => label("abnormal"));
  $("btn-next").addEventListener("click", () => go(S.cur + 1));
  $("btn-prev").addEventListener("click", () => go(S.cur - 1));
  $("btn-undo").addEventListener("click", undo);
  $("btn-export").addEventListener("click", exportCsv);
  $("note").addEventListener("input", (ev) => {
    const id = T[S.cur] && T[S.cur].id;
    if (!id) return;
    if (ev.target.value) S.notes[id] = ev.target.value;
    else delete S.notes[id];
    persist();
  });
  LE.keys({
    n: () => label("normal"), a: () => label("abnormal"),
    j: () => go(S.cur + 1), ArrowDown: () => go(S.cur + 1),
    k: () => go(S.cur - 1), ArrowUp: () => go(S.cur - 1),
    u: undo,
  });

  renderList();
  render();
  persist();
  document.body.dataset.ready = "1"; /* for tests: the page has rendered */
})();
