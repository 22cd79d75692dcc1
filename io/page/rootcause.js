/* The root-cause page (LabelEase §IV-B, Fig. 5): the fault periods, the
 * services of the selected period as a call graph shaded by score, the
 * ranking with latency against the corpus, a detail panel, a fault type
 * and a confirm action; labels stay in localStorage and are exported as
 * period,start_us,end_us,service,fault_type,note (labelease export reads it).
 * "period N" on screen is the CSV's period column: numbered from 0. */
(() => {
  const D = LE.data();
  const P = D.periods;
  const SV = D.services;
  const $ = (id) => document.getElementById(id);
  const TYPES = [["pod_failure", "pod failure"], ["memory", "memory"], ["cpu", "cpu"], ["delay", "delay"],
    ["loss", "loss"], ["other", "other"]];
  const FILTERS = ["all", "unconfirmed"];
  const key = "labelease:rootcause:" + LE.hash(D.corpus + "\n" + P.map((p) => p.start_us + "-" + p.end_us).join("\n"));
  const store = LE.store(key);
  const saved = store.load() || {};
  /* labels: period -> {service, type, other, note} (confirmed); drafts:
   * period -> the same fields as picked but not confirmed, kept when the
   * period is left; unsure: period -> true (skipped); history: undo stack
   * of {i, prev, unsure}. */
  const S = {
    labels: saved.labels || {}, drafts: saved.drafts || {}, unsure: saved.unsure || {}, history: saved.history || [],
    cur: Math.min(Math.max(saved.cur | 0, 0), Math.max(P.length - 1, 0)),
    filter: FILTERS.includes(saved.filter) ? saved.filter : "all",
  };

  function persist() {
    $("storage-warning").hidden = store.save({ v: 2, labels: S.labels, drafts: S.drafts, unsure: S.unsure,
      history: S.history.slice(-1000), cur: S.cur, filter: S.filter });
  }

  const banner = LE.banner, hideBanner = LE.hideBanner;

  const when = (us) => new Date(us / 1000).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
  const minutes = (p) => ((p.end_us - p.start_us) / 6e7).toFixed(1) + " min";
  const present = (p) => p.order.filter((s) => p.ef[s] + p.ep[s] > 0);
  const typeLabel = (l) => (l.type === "other" ? "other: " + l.other : l.type);
  const plural = (n, what) => n + " " + what + (n === 1 ? "" : "s");

  /* What is shown for period i: the draft over the confirmed label over the
   * top suspect (service) and no type. */
  function choice(i) {
    const d = S.drafts[i] || {}, l = S.labels[i] || {};
    const name = d.service ?? l.service;
    const s = name !== undefined ? SV.indexOf(name) : P[i].order[0];
    return { s, type: d.type ?? l.type ?? null, other: d.other ?? l.other ?? "", note: d.note ?? l.note ?? "" };
  }
  const selected = (i) => choice(i).s;

  /* A draft only holds what differs from the confirmed label. */
  function setDraft(i, field, value) {
    const d = Object.assign({}, S.drafts[i] || {}), l = S.labels[i];
    d[field] = value;
    const c = Object.assign(choice(i), { [field]: value });
    const same = l && SV[c.s] === l.service && c.type === l.type && (c.other || "") === (l.other || "") && (c.note || "") === (l.note || "");
    if (same) delete S.drafts[i];
    else S.drafts[i] = d;
    persist();
  }
  const isDraft = (i) => !!S.drafts[i];

  /* ---- the list ---- */
  function renderList() {
    const ol = $("period-list");
    LE.clear(ol);
    P.forEach((p, i) => {
      const li = LE.el("li");
      li.dataset.index = i;
      li.setAttribute("role", "option");
      li.tabIndex = 0;
      li.appendChild(LE.el("div", "p-when", "period " + i + "  " + when(p.start_us)));
      li.appendChild(LE.el("div", "p-sub"));
      li.addEventListener("click", () => go(i));
      li.addEventListener("focus", () => { if (S.cur !== i) go(i); });
      ol.appendChild(li);
    });
    $("list-head").textContent = P.length + " fault periods (0–" + (P.length - 1) + ") · score " + D.score + " · truth: " + D.truth;
  }

  function refreshList() {
    let shown = 0;
    document.querySelectorAll("#period-list li").forEach((li) => {
      const i = +li.dataset.index, p = P[i], l = S.labels[i];
      li.dataset.state = l ? "labelled" : S.unsure[i] ? "unsure" : "open";
      li.classList.toggle("current", i === S.cur);
      li.setAttribute("aria-selected", i === S.cur ? "true" : "false");
      li.hidden = S.filter === "unconfirmed" && l && i !== S.cur;
      if (!li.hidden) shown++;
      li.querySelector(".p-sub").textContent = (l ? "✓ " : S.unsure[i] ? "? unsure · " : "") + minutes(p) + " · " +
        p.n_abnormal + " abnormal · " + (l ? "root cause: " + l.service + " (" + typeLabel(l) + ")" : "top suspect: " + SV[p.order[0]]) +
        (isDraft(i) ? " · draft: " + SV[selected(i)] : "");
    });
    $("btn-filter").firstChild.textContent = "show: " + S.filter + " (" + shown + ")";
    const cur = document.querySelector("#period-list li.current");
    if (cur) {
      cur.scrollIntoView({ block: "nearest" });
      if (document.activeElement && document.activeElement.closest && document.activeElement.closest("#period-list") &&
        document.activeElement !== cur) cur.focus();
    }
    const n = Object.keys(S.labels).length, u = Object.keys(S.unsure).filter((i) => !S.labels[i]).length;
    $("progress").textContent = n + " / " + P.length + " periods labelled" + (u ? " (" + u + " unsure)" : "");
    $("progress-bar").style.width = (P.length ? (100 * n) / P.length : 0) + "%";
  }

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

  /* WCAG relative luminance of an sRGB colour [r, g, b] in 0..255. */
  function luminance(rgb) {
    const c = rgb.map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  }

  /* White to dark red by score relative to the period's best; the ink is
   * whichever of white and black contrasts more: at worst √(1.05/0.05) =
   * 4.58:1, so WCAG AA's 4.5:1 holds on every shade (a near-black ink
   * would fall to 4.0:1 on mid reds). */
  function shade(x) {
    const t = Math.max(0, Math.min(1, x));
    const c = (a, b) => Math.round(a + (b - a) * t);
    const rgb = [c(255, 140), c(255, 20), c(255, 30)], L = luminance(rgb);
    const onWhite = 1.05 / (L + 0.05), onBlack = (L + 0.05) / 0.05;
    return { fill: `rgb(${rgb.join(",")})`, ink: onWhite > onBlack ? "#ffffff" : "#000000" };
  }

  function renderGraph(i) {
    const p = P[i], box = $("graph");
    LE.clear(box);
    const depth = layers(p), cols = [];
    SV.forEach((_, s) => { if (depth[s] >= 0) (cols[depth[s]] = cols[depth[s]] || []).push(s); });
    /* Nodes narrow to fit the box; past the narrowest the drawing scales
     * down, so no suspect is ever behind a horizontal scroll. */
    const GX = 34, H = 34, GY = 12, nc = Math.max(cols.length, 1);
    const avail = Math.max(box.clientWidth - 4, 240);
    const W = Math.max(100, Math.min(170, Math.floor((avail - 20) / nc) - GX)), pos = {};
    let rows = 0;
    cols.forEach((c, d) => {
      if (!c) return;
      c.sort((a, b) => p.order.indexOf(a) - p.order.indexOf(b));
      c.forEach((s, k) => { pos[s] = [10 + d * (W + GX), 10 + k * (H + GY)]; });
      rows = Math.max(rows, c.length);
    });
    const width = 20 + nc * (W + GX) - GX, height = 20 + rows * (H + GY);
    const attrs = { viewBox: `0 0 ${width} ${height}`, role: "group", "aria-label": "services of period " + i };
    if (width > avail) Object.assign(attrs, { width: "100%" });
    else Object.assign(attrs, { width, height });
    const g = LE.svg("svg", attrs);
    p.edges.forEach(([a, b, n]) => {
      if (!pos[a] || !pos[b] || a === b) return;
      const [x1, y1] = pos[a], [x2, y2] = pos[b];
      const e = LE.svg("path", { class: "edge", d: `M${x1 + W},${y1 + H / 2} C${x1 + W + GX / 2},${y1 + H / 2} ${x2 - GX / 2},${y2 + H / 2} ${x2},${y2 + H / 2}` });
      e.appendChild(LE.svg("title", {}, SV[a] + " → " + SV[b] + ": " + n + " calls"));
      g.appendChild(e);
    });
    const best = Math.max(...p.score.filter((x) => x !== null), 0) || 1;
    const label = S.labels[i], sel = selected(i), chars = Math.floor((W - 12) / 6.3);
    Object.keys(pos).forEach((k) => {
      const s = +k, [x, y] = pos[s], conf = label && SV[s] === label.service;
      const sh = conf ? { fill: "#cf222e", ink: "#ffffff" } : shade((p.score[s] || 0) / best);
      const rank = p.order.indexOf(s) + 1;
      const node = LE.svg("g", { class: "node", "data-service": s, transform: `translate(${x},${y})`, tabindex: 0, role: "button",
        "aria-label": "#" + rank + " " + SV[s] + ", score " + fmt(p.score[s]) + (conf ? ", confirmed root cause" : "") + (s === sel ? ", picked" : "") });
      if (s === sel) node.classList.add("selected");
      if (conf) node.classList.add("confirmed");
      node.appendChild(LE.svg("rect", { width: W, height: H, rx: 4, fill: sh.fill }));
      const head = "#" + rank + " " + (conf ? "✓ " : "");
      const name = head.length + SV[s].length > chars ? SV[s].slice(0, Math.max(chars - head.length - 1, 3)) + "…" : SV[s];
      node.appendChild(LE.svg("text", { x: 6, y: 14, fill: sh.ink }, head + name));
      node.appendChild(LE.svg("text", { x: 6, y: 28, fill: sh.ink }, "score " + fmt(p.score[s]) + " · ev " + fmt(p.evidence[s])));
      node.appendChild(LE.svg("title", {}, "#" + rank + " " + SV[s] + " · score " + fmt(p.score[s]) + " · ev " + fmt(p.evidence[s]) +
        " · " + p.ef[s] + " abnormal, " + p.ep[s] + " normal traces"));
      node.addEventListener("click", () => pick(s));
      node.addEventListener("keydown", (ev) => { if (ev.key === " ") pick(s); });
      g.appendChild(node);
    });
    box.appendChild(g);
  }

  const fmt = (x) => (x === null || x === undefined ? "–" : Number(x).toFixed(3));
  const ms = (m, s) => LE.fmtUs(m) + " ± " + LE.fmtUs(s);
  /* Period mean past the corpus mean + 3 std: shown in red (TraceAnomaly's rule). */
  const slow = (p, s) => p.mean_us[s] !== null && D.all_std_us[s] !== null && p.mean_us[s] > D.all_mean_us[s] + 3 * D.all_std_us[s];

  /* The tie groups as algos/sbfl.c forms them: by score, a service within
   * tie (relative) of its group's leader joins the group. */
  /* Groups as rootcause formed them (algos/sbfl.h): the implicated
   * (evidence >= D.implicated) are group 0, the others form tie groups
   * 1, 2, ... among themselves. */
  function tieGroups(p) {
    const tie = D.tie ?? 0, imp = D.implicated ?? 2;
    const bySc = present(p).slice().sort((a, b) => (p.score[b] ?? 0) - (p.score[a] ?? 0) || a - b);
    const group = {};
    let leader = 0, g = 0;
    bySc.forEach((s) => {
      if ((p.evidence[s] ?? 0) >= imp) { group[s] = 0; return; }
      const sc = p.score[s] ?? 0;
      const joins = g > 0 && sc >= leader * (1 - tie) && (sc > 0 || leader === 0);
      if (!joins) { leader = sc; g++; }
      group[s] = g;
    });
    return group;
  }

  /* Why s ranks above a later service of its group with a higher score. */
  function why(p, s, later) {
    const o = later.find((x) => (p.score[x] ?? 0) > (p.score[s] ?? 0));
    if (o === undefined) return "";
    const dep = (x) => (p.depth ? p.depth[x] : -1), imp = (x) => (p.evidence[x] ?? 0) >= (D.implicated ?? 2);
    if (imp(s) && !imp(o))
      return "↑ implicated, above " + SV[o] + " (ev " + fmt(p.evidence[s]) + " ≥ " + fmt(D.implicated) + "): most abnormal traces point at it";
    if (imp(s) && dep(s) > dep(o))
      return "↑ deeper than " + SV[o] + " (depth " + dep(s) + " > " + dep(o) + "), both implicated: a callee before its caller";
    if ((p.evidence[s] ?? 0) > (p.evidence[o] ?? 0))
      return "↑ more evidence than " + SV[o] + " (" + fmt(p.evidence[s]) + " > " + fmt(p.evidence[o]) + ")";
    if (dep(s) > dep(o)) return "↑ deeper than " + SV[o] + " (depth " + dep(s) + " > " + dep(o) + "): a callee before its caller";
    return "↑ same group as " + SV[o];
  }

  function renderRanking(i) {
    const p = P[i], tb = document.querySelector("#ranking tbody"), label = S.labels[i], sel = selected(i);
    LE.clear(tb);
    const group = tieGroups(p), list = present(p);
    list.forEach((s, r) => {
      const tr = LE.el("tr");
      tr.dataset.service = s;
      tr.tabIndex = 0;
      tr.setAttribute("role", "button");
      if (s === sel) tr.classList.add("selected");
      if (label && SV[s] === label.service) tr.classList.add("confirmed");
      /* the implicated (group 0) rank above every other service */
      const later = list.slice(r + 1).filter((x) => group[s] === 0 || group[x] === group[s]);
      const reason = why(p, s, later);
      [r + 1, (label && SV[s] === label.service ? "✓ " : "") + SV[s], fmt(p.score[s]), group[s], p.ef[s], p.ep[s], fmt(p.evidence[s]),
        reason ? reason.split(" (")[0] : "", ms(p.mean_us[s], p.std_us[s]), ms(D.all_mean_us[s], D.all_std_us[s])].forEach((v, c) => {
        const td = tr.appendChild(LE.el("td", c === 8 && slow(p, s) ? "slow" : c === 7 ? "why" : "", v));
        if (c === 7 && reason) td.title = reason;
        if (c === 1) td.title = SV[s];
      });
      tr.setAttribute("aria-label", "#" + (r + 1) + " " + SV[s] + ", score " + fmt(p.score[s]) + (reason ? ", " + reason : ""));
      tr.addEventListener("click", () => pick(s));
      tr.addEventListener("keydown", (ev) => { if (ev.key === " ") pick(s); });
      tb.appendChild(tr);
    });
    $("th-score").title = "suspiciousness (" + D.score + ") from the abnormal and normal traces through the service";
    $("rank-legend").textContent = "Order: first the implicated services (group 0: ev ≥ " + fmt(D.implicated ?? 2) +
      ", most of the period's abnormal traces point at them), the deeper first; then the others sorted by score (" + D.score +
      "); a service whose score is within " + Math.round((D.tie ?? 0) * 100) +
      "% of its group leader's score joins that tie group (column group, --tie " + (D.tie ?? 0) +
      "). Inside a group the order is by evidence (ev), then call depth (the deeper service first: latency and errors spread " +
      "to callers), then score, so a lower score can rank above a higher one (why here). ef / ep: abnormal / normal " +
      "traces of the period through the service; ev: the share of the period's abnormal traces whose own anomalous spans point at it.";
  }

  function renderDetail(i) {
    const p = P[i], c = choice(i), s = c.s, dl = $("d-stats");
    $("d-name").textContent = s >= 0 ? SV[s] : "–";
    LE.clear(dl);
    const l = S.labels[i];
    $("draft").textContent = isDraft(i) ? "Draft, not confirmed: " + (s >= 0 ? SV[s] : "–") + (c.type ? " (" + typeLabel(c) + ")" : "") +
      ". Press c to confirm." : "";
    $("confirmed").textContent = l ? "Confirmed: " + l.service + " (" + typeLabel(l) + ")" + (l.note ? " — " + l.note : "") :
      S.unsure[i] ? "Skipped as unsure." : "Not labelled yet.";
    document.querySelectorAll("#fault-type input").forEach((r) => { r.checked = r.value === c.type; });
    $("fault-other").value = c.other || "";
    $("note").value = c.note || "";
    $("fault-other").disabled = c.type !== "other";
    if (s < 0) return;
    const rows = [["rank", (p.order.indexOf(s) + 1) + " of " + present(p).length],
      ["score (" + D.score + ")", fmt(p.score[s])], ["abnormal traces through it (ef)", p.ef[s] + " of " + p.n_abnormal],
      ["normal traces through it (ep)", p.ep[s] + " of " + p.n_normal], ["evidence (ev)", fmt(p.evidence[s])],
      ["period latency", ms(p.mean_us[s], p.std_us[s]) + " (" + p.count[s] + " spans)"],
      ["corpus latency", ms(D.all_mean_us[s], D.all_std_us[s]) + " (" + D.all_count[s] + " spans)"]];
    rows.forEach(([k, v]) => { dl.appendChild(LE.el("dt", "", k)); dl.appendChild(LE.el("dd", "", v)); });
  }

  function renderSummary(i) {
    const p = P[i], box = $("summary");
    LE.clear(box);
    box.appendChild(LE.el("span", "s-title", "Period " + i)).title = "period " + i + " in rootcause-labels.csv (numbered from 0)";
    box.appendChild(LE.el("span", "le-muted", (i + 1) + " of " + P.length + " in time order"));
    box.appendChild(LE.el("span", "", when(p.start_us) + " → " + when(p.end_us) + " (" + minutes(p) + ")"));
    box.appendChild(LE.el("span", "le-muted", p.n_abnormal + " abnormal, " + p.n_normal + " normal traces"));
  }

  function render() {
    if (!P.length) return;
    refreshList();
    renderSummary(S.cur);
    renderGraph(S.cur);
    renderRanking(S.cur);
    renderDetail(S.cur);
  }

  /* ---- actions ---- */
  function go(i) {
    if (i < 0 || i >= P.length) return;
    S.cur = i;
    persist();
    render();
  }

  function step(dir) {
    for (let i = S.cur + dir; i >= 0 && i < P.length; i += dir) if (S.filter === "all" || !S.labels[i]) return go(i);
  }

  /* The next period neither confirmed nor skipped, after this one (wrapping). */
  function nextTodo() {
    for (let k = 1; k <= P.length; k++) {
      const i = (S.cur + k) % P.length;
      if (!S.labels[i] && !S.unsure[i]) return go(i);
    }
    persist();
    render();
    banner("Every period is confirmed or skipped: export the labels.", "info");
  }

  function pick(s) {
    if (!P.length || s === undefined || s < 0) return;
    setDraft(S.cur, "service", SV[s]);
    render();
  }

  function movePick(dir) {
    const list = present(P[S.cur]), k = list.indexOf(selected(S.cur));
    const n = Math.max(0, Math.min(list.length - 1, k + dir));
    if (list.length) pick(list[n]);
  }

  function setType(v) {
    setDraft(S.cur, "type", v);
    renderDetail(S.cur);
    refreshList();
    if (v === "other" && !choice(S.cur).other) $("fault-other").focus();
  }

  function cycleType(dir) {
    const k = TYPES.findIndex(([v]) => v === choice(S.cur).type);
    const n = k < 0 ? (dir > 0 ? 0 : TYPES.length - 1) : (k + dir + TYPES.length) % TYPES.length;
    setType(TYPES[n][0]);
  }

  function record(i) {
    S.history.push({ i, prev: S.labels[i] || null, unsure: !!S.unsure[i] });
  }

  function confirm() {
    const i = S.cur, c = choice(i);
    if (c.s < 0 || !P.length) return;
    if (!c.type) { $("confirmed").textContent = "Choose a fault type first (t)."; return; }
    const other = (c.other || "").trim();
    if (c.type === "other" && !other) { $("confirmed").textContent = "Describe the other fault type."; return; }
    record(i);
    S.labels[i] = { service: SV[c.s], type: c.type, other: c.type === "other" ? other : "", note: (c.note || "").trim() };
    delete S.drafts[i];
    delete S.unsure[i];
    nextTodo();
  }

  /* s: unsure. A confirmed label of the period stays (u takes it back), as
   * in the terminal, so both write the same rows for the same keys. */
  function skip() {
    if (!P.length) return;
    record(S.cur);
    S.unsure[S.cur] = true;
    nextTodo();
  }

  function undo() {
    const h = S.history.pop();
    if (!h) return;
    if (h.prev) S.labels[h.i] = h.prev;
    else delete S.labels[h.i];
    if (h.unsure) S.unsure[h.i] = true;
    else delete S.unsure[h.i];
    go(h.i);
  }

  function cycleFilter() {
    S.filter = FILTERS[(FILTERS.indexOf(S.filter) + 1) % FILTERS.length];
    persist();
    refreshList();
  }

  function download() {
    const rows = ["period,start_us,end_us,service,fault_type,note"];
    P.forEach((p, i) => {
      const l = S.labels[i];
      if (!l) return;
      rows.push([i, p.start_us, p.end_us, l.service, l.type === "other" ? "other:" + l.other : l.type, l.note]
        .map(LE.csvField).join(","));
    });
    LE.download("rootcause-labels.csv", rows.join("\n") + "\n");
  }

  function exportCsv() {
    const n = Object.keys(S.labels).length;
    if (n === P.length) { hideBanner(); return download(); }
    const u = Object.keys(S.unsure).filter((i) => !S.labels[i]).length, d = Object.keys(S.drafts).length;
    banner("Only " + n + " of " + P.length + " periods are confirmed (" + u + " unsure" + (d ? ", " + d + " with an unconfirmed draft" : "") +
      "): the file will hold " + plural(n, "row") + "; export fills the rest with the suggestions.", "warn", download);
  }

  /* A rootcause-labels.csv (this page's export, the terminal's file, a
   * colleague's): its rows replace the browser's labels of those periods.
   * A row must name a period of this file by number and window; anything
   * else stops the import with its line, and nothing is taken. */
  function importCsv(name, text) {
    const csv = LE.csvTable(name, text, ["period", "start_us", "end_us", "service", "fault_type"]);
    if (!csv) return;
    const col = (k) => csv.col[k] ?? -1;
    const got = {};
    for (let r = 0; r < csv.rows.length; r++) {
      const row = csv.rows[r], at = name + ": line " + csv.lines[r] + ": ", f = (k) => (row[col(k)] || "").trim();
      const i = Number(f("period")), p = P[i];
      if (!/^\d+$/.test(f("period")) || !p) return banner(at + "period " + f("period") + " is not a period of this page (0–" + (P.length - 1) + "); nothing imported", "error");
      if (String(p.start_us) !== f("start_us") || String(p.end_us) !== f("end_us"))
        return banner(at + "period " + i + " has another window here (a file of another run?); nothing imported", "error");
      if (!SV.includes(f("service"))) return banner(at + "unknown service '" + f("service").slice(0, 60) + "'; nothing imported", "error");
      const ft = f("fault_type"), other = ft.startsWith("other:") ? ft.slice(6) : "";
      const type = other ? "other" : ft;
      if (!TYPES.some(([v]) => v === type) || (type === "other" && !other))
        return banner(at + "unknown fault type '" + ft.slice(0, 60) + "'; nothing imported", "error");
      got[i] = { service: f("service"), type, other, note: col("note") >= 0 ? (row[col("note")] || "").trim() : "" };
    }
    let changed = 0;
    for (const i in got) {
      const l = S.labels[i];
      if (l && (l.service !== got[i].service || l.type !== got[i].type)) changed++;
      S.labels[i] = got[i];
      delete S.unsure[i];
      delete S.drafts[i];
    }
    S.cur = P.length - 1;
    nextTodo();
    banner(name + ": " + plural(Object.keys(got).length, "period") + " read" + (changed ? ", " + changed + " replaced this browser's" : "") + ".", "info");
  }

  function setup() {
    const fs = $("fault-type");
    TYPES.forEach(([v, text]) => {
      const lab = LE.el("label");
      const r = LE.el("input");
      r.type = "radio";
      r.name = "fault-type";
      r.value = v;
      r.addEventListener("change", () => setType(v));
      lab.appendChild(r);
      lab.appendChild(document.createTextNode(" " + text));
      fs.appendChild(lab);
    });
    $("fault-other").addEventListener("input", (ev) => { setDraft(S.cur, "other", ev.target.value); refreshList(); });
    $("note").addEventListener("input", (ev) => setDraft(S.cur, "note", ev.target.value));
    LE.onClick($("btn-prev"), () => step(-1));
    LE.onClick($("btn-next"), () => step(1));
    LE.onClick($("btn-todo"), nextTodo);
    LE.onClick($("btn-confirm"), confirm);
    LE.onClick($("btn-skip"), skip);
    LE.onClick($("btn-undo"), undo);
    LE.onClick($("btn-export"), exportCsv);
    LE.onClick($("btn-filter"), cycleFilter);
    LE.commonButtons(importCsv);
    const keys = {
      j: () => step(1), ArrowDown: () => step(1), k: () => step(-1), ArrowUp: () => step(-1),
      ArrowLeft: () => movePick(-1), h: () => movePick(-1), ArrowRight: () => movePick(1), l: () => movePick(1),
      t: () => cycleType(1), T: () => cycleType(-1), c: confirm, s: skip, u: undo, Enter: nextTodo, f: cycleFilter,
      "?": LE.helpToggle, Escape: LE.escape,
    };
    for (let n = 1; n <= 9; n++) keys[String(n)] = () => { const s = P[S.cur] && present(P[S.cur])[n - 1]; if (s !== undefined) pick(s); };
    LE.keys(keys);
    window.addEventListener("resize", () => { if (P.length) renderGraph(S.cur); });
  }

  setup();
  renderList();
  if (P.length) render();
  else $("summary").textContent = "No fault periods: no abnormal traces in the labels.";
  persist();
  document.body.dataset.ready = "1";
})();
