/* The root-cause page (LabelEase §IV-B, Fig. 5): the fault periods, the
 * services of the selected period as a call graph shaded by score, the
 * ranking with latency against the corpus, a detail panel, a fault type
 * and a confirm action; labels stay in localStorage and are exported as
 * period,start_us,end_us,service,fault_type,note (labelease export reads it). */
(() => {
  const D = LE.data();
  const P = D.periods;
  const SV = D.services;
  const $ = (id) => document.getElementById(id);
  const TYPES = [["pod_failure", "pod failure"], ["memory", "memory"], ["cpu", "cpu"], ["delay", "delay"],
    ["loss", "loss"], ["other", "other"]];
  const key = "labelease:rootcause:" + LE.hash(D.corpus + "\n" + P.map((p) => p.start_us + "-" + p.end_us).join("\n"));
  const store = LE.store(key);
  const saved = store.load() || {};
  /* labels: period index -> {service, type, other, note}; sel: selected service per period */
  const S = { labels: saved.labels || {}, cur: Math.min(Math.max(saved.cur | 0, 0), Math.max(P.length - 1, 0)), sel: {} };

  function persist() {
    $("storage-warning").hidden = store.save({ v: 1, labels: S.labels, cur: S.cur });
  }

  const when = (us) => new Date(us / 1000).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
  const minutes = (p) => ((p.end_us - p.start_us) / 6e7).toFixed(1) + " min";
  const selected = (i) => (S.sel[i] !== undefined ? S.sel[i] : S.labels[i] ? SV.indexOf(S.labels[i].service) : P[i].order[0]);

  /* ---- the list ---- */
  function renderList() {
    const ol = $("period-list");
    LE.clear(ol);
    P.forEach((p, i) => {
      const li = LE.el("li");
      li.dataset.index = i;
      li.appendChild(LE.el("div", "p-when", "#" + (i + 1) + "  " + when(p.start_us)));
      li.appendChild(LE.el("div", "p-sub"));
      li.addEventListener("click", () => go(i));
      ol.appendChild(li);
    });
    $("list-head").textContent = P.length + " fault periods · score " + D.score + " · truth: " + D.truth;
  }

  function refreshList() {
    document.querySelectorAll("#period-list li").forEach((li) => {
      const i = +li.dataset.index, p = P[i], l = S.labels[i];
      li.dataset.state = l ? "labelled" : "open";
      li.classList.toggle("current", i === S.cur);
      li.querySelector(".p-sub").textContent = minutes(p) + " · " + p.n_abnormal + " abnormal · " +
        (l ? "root cause: " + l.service + " (" + typeLabel(l) + ")" : "top suspect: " + SV[p.order[0]]);
    });
    const cur = document.querySelector("#period-list li.current");
    if (cur) cur.scrollIntoView({ block: "nearest" });
    const n = Object.keys(S.labels).length;
    $("progress").textContent = n + " / " + P.length + " periods labelled";
    $("progress-bar").style.width = (P.length ? (100 * n) / P.length : 0) + "%";
  }

  const typeLabel = (l) => (l.type === "other" ? "other: " + l.other : l.type);

  /* ---- the graph: services of the period in layers by call depth ---- */
  function layers(p) {
    const present = SV.map((_, s) => p.ef[s] + p.ep[s] > 0);
    const depth = SV.map(() => -1), callers = SV.map(() => 0);
    p.edges.forEach(([a, b]) => { if (a !== b) callers[b]++; });
    SV.forEach((_, s) => { if (present[s] && !callers[s]) depth[s] = 0; });
    /* Longest path from a root, so every callee sits right of all its
     * callers and no arrow runs backwards; at most |S| rounds, which also
     * ends a cycle. */
    for (let round = 0; round < SV.length; round++) {
      let moved = false;
      p.edges.forEach(([a, b]) => {
        if (a !== b && depth[a] >= 0 && present[b] && depth[b] < depth[a] + 1 && depth[a] + 1 < SV.length) { depth[b] = depth[a] + 1; moved = true; }
      });
      if (!moved) break;
    }
    const deepest = Math.max(0, ...depth);
    SV.forEach((_, s) => { if (present[s] && depth[s] < 0) depth[s] = deepest + 1; });
    return depth;
  }

  function shade(x) {
    /* white to dark red by score relative to the period's best */
    const t = Math.max(0, Math.min(1, x));
    const c = (a, b) => Math.round(a + (b - a) * t);
    return { fill: `rgb(${c(255, 140)},${c(255, 20)},${c(255, 30)})`, ink: t > 0.55 ? "#fff" : "#1f2328" };
  }

  function renderGraph(i) {
    const p = P[i], box = $("graph");
    LE.clear(box);
    const depth = layers(p), cols = [];
    SV.forEach((_, s) => { if (depth[s] >= 0) (cols[depth[s]] = cols[depth[s]] || []).push(s); });
    const W = 170, H = 34, GX = 50, GY = 14, pos = {};
    let rows = 0;
    cols.forEach((c, d) => {
      if (!c) return;
      c.sort((a, b) => p.order.indexOf(a) - p.order.indexOf(b));
      c.forEach((s, k) => { pos[s] = [10 + d * (W + GX), 10 + k * (H + GY)]; });
      rows = Math.max(rows, c.length);
    });
    const width = 20 + cols.length * (W + GX), height = 20 + rows * (H + GY);
    const g = LE.svg("svg", { width, height, viewBox: `0 0 ${width} ${height}` });
    p.edges.forEach(([a, b, n]) => {
      if (!pos[a] || !pos[b] || a === b) return;
      const [x1, y1] = pos[a], [x2, y2] = pos[b];
      const e = LE.svg("path", { class: "edge", d: `M${x1 + W},${y1 + H / 2} C${x1 + W + GX / 2},${y1 + H / 2} ${x2 - GX / 2},${y2 + H / 2} ${x2},${y2 + H / 2}` });
      e.appendChild(LE.svg("title", {}, SV[a] + " → " + SV[b] + ": " + n + " calls"));
      g.appendChild(e);
    });
    const best = Math.max(...p.score.filter((x) => x !== null), 0) || 1;
    const label = S.labels[i], sel = selected(i);
    Object.keys(pos).forEach((k) => {
      const s = +k, [x, y] = pos[s], sh = shade((p.score[s] || 0) / best);
      const node = LE.svg("g", { class: "node", "data-service": s, transform: `translate(${x},${y})` });
      if (s === sel) node.classList.add("selected");
      if (label && SV[s] === label.service) node.classList.add("confirmed");
      node.appendChild(LE.svg("rect", { width: W, height: H, rx: 4, fill: label && SV[s] === label.service ? "#cf222e" : sh.fill }));
      const rank = p.order.indexOf(s) + 1;
      const name = SV[s].length > 22 ? SV[s].slice(0, 21) + "…" : SV[s];
      node.appendChild(LE.svg("text", { x: 6, y: 14, fill: label && SV[s] === label.service ? "#fff" : sh.ink }, "#" + rank + " " + name));
      node.appendChild(LE.svg("text", { x: 6, y: 28, fill: label && SV[s] === label.service ? "#fff" : sh.ink },
        "score " + fmt(p.score[s]) + " · ev " + fmt(p.evidence[s])));
      node.appendChild(LE.svg("title", {}, SV[s]));
      node.addEventListener("click", () => pick(s));
      g.appendChild(node);
    });
    box.appendChild(g);
  }

  const fmt = (x) => (x === null || x === undefined ? "–" : Number(x).toFixed(3));
  const ms = (m, s) => LE.fmtUs(m) + " ± " + LE.fmtUs(s);
  /* Period mean past the corpus mean + 3 std: shown in red (TraceAnomaly's rule). */
  const slow = (p, s) => p.mean_us[s] !== null && D.all_std_us[s] !== null && p.mean_us[s] > D.all_mean_us[s] + 3 * D.all_std_us[s];

  function renderRanking(i) {
    const p = P[i], tb = document.querySelector("#ranking tbody"), label = S.labels[i], sel = selected(i);
    LE.clear(tb);
    p.order.forEach((s, r) => {
      if (p.ef[s] + p.ep[s] === 0) return;
      const tr = LE.el("tr");
      tr.dataset.service = s;
      if (s === sel) tr.classList.add("selected");
      if (label && SV[s] === label.service) tr.classList.add("confirmed");
      [r + 1, SV[s], fmt(p.score[s]), p.ef[s], p.ep[s], fmt(p.evidence[s]), ms(p.mean_us[s], p.std_us[s]),
        ms(D.all_mean_us[s], D.all_std_us[s])].forEach((v, c) => {
        const td = LE.el("td", c === 6 && slow(p, s) ? "slow" : "", v);
        tr.appendChild(td);
      });
      tr.addEventListener("click", () => pick(s));
      tb.appendChild(tr);
    });
  }

  function renderDetail(i) {
    const p = P[i], s = selected(i), dl = $("d-stats");
    $("d-name").textContent = s >= 0 ? SV[s] : "–";
    LE.clear(dl);
    if (s < 0) return;
    const rows = [["rank", (p.order.indexOf(s) + 1) + " of " + p.order.filter((x) => p.ef[x] + p.ep[x] > 0).length],
      ["score (" + D.score + ")", fmt(p.score[s])], ["abnormal traces through it", p.ef[s] + " of " + p.n_abnormal],
      ["normal traces through it", p.ep[s] + " of " + p.n_normal], ["evidence", fmt(p.evidence[s])],
      ["period latency", ms(p.mean_us[s], p.std_us[s]) + " (" + p.count[s] + " spans)"],
      ["corpus latency", ms(D.all_mean_us[s], D.all_std_us[s]) + " (" + D.all_count[s] + " spans)"]];
    rows.forEach(([k, v]) => { dl.appendChild(LE.el("dt", "", k)); dl.appendChild(LE.el("dd", "", v)); });
    const l = S.labels[i];
    $("confirmed").textContent = l ? "Confirmed: " + l.service + " (" + typeLabel(l) + ")" + (l.note ? " — " + l.note : "") : "Not labelled yet.";
    if (l) {
      const radio = document.querySelector(`#fault-type input[value="${l.type}"]`);
      if (radio) radio.checked = true;
      $("fault-other").value = l.other || "";
      $("note").value = l.note || "";
    } else {
      document.querySelectorAll("#fault-type input").forEach((r) => { r.checked = false; });
      $("fault-other").value = "";
      $("note").value = "";
    }
    $("fault-other").disabled = !(document.querySelector("#fault-type input:checked") || {}).value?.startsWith("other");
  }

  function renderSummary(i) {
    const p = P[i], box = $("summary");
    LE.clear(box);
    box.appendChild(LE.el("span", "s-title", "Period " + (i + 1) + " of " + P.length));
    box.appendChild(LE.el("span", "", when(p.start_us) + " → " + when(p.end_us) + " (" + minutes(p) + ")"));
    box.appendChild(LE.el("span", "le-muted", p.n_abnormal + " abnormal, " + p.n_normal + " normal traces"));
  }

  function render() {
    refreshList();
    renderSummary(S.cur);
    renderGraph(S.cur);
    renderRanking(S.cur);
    renderDetail(S.cur);
  }

  function go(i) {
    if (i < 0 || i >= P.length) return;
    S.cur = i;
    persist();
    render();
  }

  function pick(s) {
    S.sel[S.cur] = s;
    renderGraph(S.cur);
    renderRanking(S.cur);
    renderDetail(S.cur);
  }

  function confirm() {
    const i = S.cur, s = selected(i), r = document.querySelector("#fault-type input:checked");
    if (s < 0 || !P.length) return;
    if (!r) { $("confirmed").textContent = "Choose a fault type first."; return; }
    const other = $("fault-other").value.trim();
    if (r.value === "other" && !other) { $("confirmed").textContent = "Describe the other fault type."; return; }
    S.labels[i] = { service: SV[s], type: r.value, other: r.value === "other" ? other : "", note: $("note").value.trim() };
    delete S.sel[i];
    persist();
    render();
  }

  function exportCsv() {
    const rows = ["period,start_us,end_us,service,fault_type,note"];
    P.forEach((p, i) => {
      const l = S.labels[i];
      if (!l) return;
      rows.push([i, p.start_us, p.end_us, l.service, l.type === "other" ? "other:" + l.other : l.type, l.note]
        .map(LE.csvField).join(","));
    });
    LE.download("rootcause-labels.csv", rows.join("\n") + "\n");
  }

  function setup() {
    const fs = $("fault-type");
    TYPES.forEach(([v, text]) => {
      const lab = LE.el("label");
      const r = LE.el("input");
      r.type = "radio";
      r.name = "fault-type";
      r.value = v;
      r.addEventListener("change", () => { $("fault-other").disabled = v !== "other"; if (v === "other") $("fault-other").focus(); });
      lab.appendChild(r);
      lab.appendChild(document.createTextNode(" " + text));
      fs.appendChild(lab);
    });
    $("btn-prev").addEventListener("click", () => go(S.cur - 1));
    $("btn-next").addEventListener("click", () => go(S.cur + 1));
    $("btn-confirm").addEventListener("click", confirm);
    $("btn-export").addEventListener("click", exportCsv);
    const keys = { j: () => go(S.cur + 1), ArrowDown: () => go(S.cur + 1), k: () => go(S.cur - 1), ArrowUp: () => go(S.cur - 1), c: confirm };
    for (let n = 1; n <= 9; n++) keys[String(n)] = () => { const s = P[S.cur] && P[S.cur].order[n - 1]; if (s !== undefined) pick(s); };
    LE.keys(keys);
  }

  setup();
  renderList();
  if (P.length) render();
  else $("summary").textContent = "No fault periods: no abnormal traces in the labels.";
  document.body.dataset.ready = "1";
})();
