/* Headless Chromium test of the root-cause page's workflow (issue 18; run
 * by tests/e2e/pages_workflow.sh):
 *   node rootcause_workflow.cjs PAGE.html OUT_DIR
 * Checks: pick, a click on a fault type, then c confirms (bug 1), arrows
 * with a radio focused move periods, a picked but unconfirmed choice stays
 * as a draft; "period N" on screen is the N of the exported CSV (bug 3);
 * the layout at 1024/1280/1440/1920 (no horizontal scroll, every suspect
 * visible, the ranking clear of the detail panel: bug 4); the tie-group
 * rule and ef/ep/ev explained (bug 5); ←/→ reach every service, t/T, skip,
 * undo, next unconfirmed, the filter, import, the partial-export warning,
 * Tab reachability, a whole session by keyboard alone, and contrast.
 * Writes OUT_DIR/page-rows.csv (the rows the page exported for periods 1
 * and 3) for the e2e script to compare. */
"use strict";
const path = require("path");
const fs = require("fs");
const { check, ready, run, fresh, pageData, contrast, contrastIn, tabWalk, noSideScroll } = require("./common.cjs");

const [pagePath, outDir] = process.argv.slice(2);
const url = "file://" + path.resolve(pagePath);
const data = pageData;
const states = (page) => page.$$eval("#period-list li", (lis) => lis.map((li) => li.dataset.state));
const current = async (page) => +(await page.getAttribute("#period-list li.current", "data-index"));
const present = (p) => p.order.filter((s) => p.ef[s] + p.ep[s] > 0);
const picked = (page) => page.textContent("#d-name");

async function exportRows(page, name) {
  await page.click("#btn-export");
  const [dl] = await Promise.all([page.waitForEvent("download", { timeout: 5000 }), page.click("#banner-yes")]);
  const file = path.join(outDir, name);
  await dl.saveAs(file);
  return fs.readFileSync(file, "utf8").trim().split("\n");
}

async function confirmAndDrafts(ctx) {
  const { page, seen } = await fresh(ctx, url);
  const D = await data(page), SV = D.services, P = D.periods.length;
  /* Bug 1: 3, a click on "cpu", c. */
  await page.click("#period-list li[data-index='1']");
  const s3 = present(D.periods[1])[2];
  await page.keyboard.press("3");
  await page.click("#fault-type input[value='cpu']");
  await page.keyboard.press("c");
  check((await states(page))[1] === "labelled" && (await page.textContent("#progress")).startsWith(`1 / ${P}`),
    "bug 1: 3, a click on cpu, then c confirms (" + (await page.textContent("#progress")) + ")");
  check((await current(page)) === 2, "c goes to the next unconfirmed period");
  /* A radio with the focus: arrows still move periods, not the type. */
  await page.click("#fault-type input[value='delay']");
  await page.keyboard.press("ArrowUp");
  check((await current(page)) === 1, "↑ with a radio focused moves to the previous period");
  check((await page.textContent("#confirmed")).startsWith(`Confirmed: ${SV[s3]} (cpu)`), "and the confirmed type stays cpu");
  /* Bug 3: the number on screen is the number in the file. */
  check((await page.textContent("#summary .s-title")) === "Period 1" && (await page.textContent("#period-list li[data-index='1'] .p-when")).startsWith("period 1 "),
    "bug 3: period index 1 is 'period 1' in the summary and the list");
  /* Period 2 was left with delay picked: a draft, kept when leaving. */
  await page.keyboard.press("j");
  check(await page.isChecked("#fault-type input[value='delay']"), "a type chosen and left stays chosen (draft)");
  const s2 = present(D.periods[2])[1];
  await page.keyboard.press("2");
  await page.keyboard.press("j");
  await page.keyboard.press("k");
  check((await picked(page)) === SV[s2] && (await page.textContent("#draft")).startsWith("Draft, not confirmed: " + SV[s2] + " (delay)"),
    "leaving a period keeps its picked, unconfirmed choice as a draft: " + (await page.textContent("#draft")));
  check((await page.textContent("#period-list li[data-index='2'] .p-sub")).includes("draft: " + SV[s2]), "the list shows the draft");
  await page.reload();
  await ready(page);
  await page.click("#period-list li[data-index='2']");
  check((await picked(page)) === SV[s2] && (await page.isChecked("#fault-type input[value='delay']")), "the draft survives a reload");
  /* ←/→ reach every service; t/T cycle the type. */
  const all = present(D.periods[2]);
  await page.keyboard.press("1");
  const seenPick = [await picked(page)];
  for (let k = 1; k < all.length + 2; k++) { await page.keyboard.press(k % 2 ? "ArrowRight" : "l"); seenPick.push(await picked(page)); }
  check(all.every((s) => seenPick.includes(SV[s])) && seenPick[seenPick.length - 1] === SV[all[all.length - 1]],
    `→ / l reach every service of the period (${all.length}), the last one included`);
  await page.keyboard.press("h");
  check((await picked(page)) === SV[all[all.length - 2]], "h moves the pick back");
  await page.keyboard.press("t");
  check(await page.isChecked("#fault-type input[value='loss']"), "t: delay -> loss");
  await page.keyboard.press("T");
  await page.keyboard.press("T");
  check(await page.isChecked("#fault-type input[value='cpu']"), "T: loss -> delay -> cpu");
  await page.keyboard.press("c");
  const p3 = await current(page);
  check(p3 === 3, "confirm from the draft, on to period 3");
  /* Skip, undo, Enter, filter. */
  await page.keyboard.press("s");
  check((await states(page))[3] === "unsure" && (await current(page)) === 4, "s skips as unsure and goes on");
  await page.keyboard.press("u");
  check((await states(page))[3] === "open" && (await current(page)) === 3, "u undoes the skip and goes back");
  await page.keyboard.press("1");
  await page.keyboard.press("t");
  await page.keyboard.press("c");                          // 3: top suspect, pod_failure
  /* s on a confirmed period keeps its label (as the terminal does). */
  await page.click("#period-list li[data-index='1']");
  await page.keyboard.press("s");
  check((await states(page))[1] === "labelled", "s on a confirmed period keeps its label");
  await page.keyboard.press("u");
  await page.click("#period-list li[data-index='0']");
  await page.keyboard.press("Enter");
  check((await current(page)) === 4, "Enter goes to the next unconfirmed period (past 1, 2, 3)");
  await page.keyboard.press("f");
  const hidden = await page.$$eval("#period-list li", (l) => l.filter((li) => li.hidden).map((li) => +li.dataset.index));
  check(JSON.stringify(hidden) === "[1,2,3]", "filter unconfirmed hides the confirmed periods: " + hidden.join(","));
  await page.keyboard.press("f");
  check((await page.$$eval("#period-list li", (l) => l.filter((li) => li.hidden).length)) === 0, "f: back to all");
  /* Partial export: warned, then the rows: the period column is the number on screen. */
  let downloads = 0;
  page.on("download", () => downloads++);
  await page.click("#btn-export");
  await page.waitForTimeout(400);
  check(downloads === 0 && (await page.textContent("#banner-text")).startsWith(`Only 3 of ${P} periods are confirmed`),
    "a partial export warns first: " + (await page.textContent("#banner-text")));
  await page.click("#banner-no");
  const rows = await exportRows(page, "rootcause-labels.csv");
  check(rows.length === 4 && rows[1].startsWith("1,") && rows[2].startsWith("2,") && rows[3].startsWith("3,") &&
    rows[1].includes("," + SV[s3] + ",cpu,"), "bug 3: the exported period column is the number shown: " + rows.slice(1).join(" | "));
  fs.writeFileSync(path.join(outDir, "page-rows.csv"), rows.join("\n") + "\n");
  check(seen.errors.length === 0 && seen.dialogs.length === 0 && seen.requests.length === 0, "no console error, dialog or request: " + seen.errors.join(" | "));
  await page.close();
}

async function explained(ctx) {
  const { page } = await fresh(ctx, url);
  const D = await data(page);
  check(typeof D.tie === "number" && D.periods.every((p) => Array.isArray(p.depth)), "the data block has the tie and the call depths");
  const heads = await page.$$eval("#ranking th", (t) => Object.fromEntries(t.map((x) => [x.textContent, x.title])));
  check(/abnormal/.test(heads.ef) && /normal/.test(heads.ep) && /evidence/.test(heads.ev) && /tie/.test(heads.group),
    "bug 5: ef, ep, ev and the tie group have their meaning on the page");
  const legend = await page.textContent("#rank-legend");
  check(/tie group/.test(legend) && /evidence/.test(legend) && /lower score can rank above/.test(legend), "bug 5: the legend states the tie-group rule");
  /* A period where a lower score ranks above a higher one says why. */
  const i = D.periods.findIndex((p) => present(p).some((s, r) => present(p).slice(r + 1).some((o) => p.score[o] > p.score[s])));
  check(i >= 0, "the fixture has a period whose order is not the score order (" + i + ")");
  if (i >= 0) {
    await page.click(`#period-list li[data-index='${i}']`);
    const p = D.periods[i], list = present(p);
    const r = list.findIndex((s, k) => list.slice(k + 1).some((o) => p.score[o] > p.score[s]));
    const cells = await page.$$eval(`#ranking tbody tr:nth-child(${r + 1}) td`, (td) => td.map((x) => [x.textContent, x.title]));
    check(cells[7][0].startsWith("↑") && cells[7][1].length > cells[7][0].length,
      `period ${i}: ${D.services[list[r]]} (score ${p.score[list[r]].toFixed(3)}) says why it ranks above a higher score: ${cells[7][1]}`);
  }
  await page.close();
}

async function importing(ctx) {
  const { page } = await fresh(ctx, url);
  const D = await data(page), SV = D.services, P = D.periods;
  const row = (i, s, ft, note) => [i, P[i].start_us, P[i].end_us, s, ft, note].join(",");
  const a = present(P[0])[1], b = present(P[2])[0];
  const good = "period,start_us,end_us,service,fault_type,note\r\n" + row(0, SV[a], "memory", "") + "\r\n" +
    row(2, SV[b], '"other:disk, full"', '"seen ""twice"""') + "\r\n";
  await page.setInputFiles("#import-file", { name: "terminal.csv", mimeType: "text/csv", buffer: Buffer.from(good) });
  await page.waitForFunction(() => !document.getElementById("banner").hidden);
  check((await page.textContent("#banner-text")).startsWith("terminal.csv: 2 periods read"), "import reports: " + (await page.textContent("#banner-text")));
  const st = await states(page);
  check(st[0] === "labelled" && st[2] === "labelled" && st.filter((x) => x === "labelled").length === 2, "import confirms the two periods");
  check((await current(page)) === 1, "and continues at the first unconfirmed period");
  await page.click("#period-list li[data-index='2']");
  check((await page.textContent("#confirmed")) === `Confirmed: ${SV[b]} (other: disk, full) — seen "twice"`, "other text and note imported: " + (await page.textContent("#confirmed")));
  const back = await exportRows(page, "reimported.csv");
  check(back[1] === row(0, SV[a], "memory", "") && back[2] === row(2, SV[b], '"other:disk, full"', '"seen ""twice"""'),
    "exported again, the rows are the imported ones");
  const bad = "period,start_us,end_us,service,fault_type,note\n" + row(1, SV[a], "cpu", "") + "\n" + [3, 1, 2, SV[a], "cpu", ""].join(",") + "\n";
  await page.setInputFiles("#import-file", { name: "other-run.csv", mimeType: "text/csv", buffer: Buffer.from(bad) });
  await page.waitForFunction(() => document.getElementById("banner-text").textContent.startsWith("other-run.csv"));
  check((await page.textContent("#banner-text")).startsWith("other-run.csv: line 3: period 3 has another window") && (await states(page))[1] === "open",
    "a row of another run stops the import, naming the file and line: " + (await page.textContent("#banner-text")));
  await page.close();
}

async function layout(ctx) {
  const { page, seen } = await fresh(ctx, url);
  const D = await data(page);
  /* The widest graph: the period with the longest call chain (columns of
   * the graph), then the most services. */
  const chain = (p) => {
    const on = new Set(present(p)), d = {};
    on.forEach((s) => { d[s] = 0; });
    for (let k = 0; k < on.size; k++)
      p.edges.forEach(([a, b]) => { if (a !== b && on.has(a) && on.has(b) && d[b] < d[a] + 1 && d[a] + 1 < on.size) d[b] = d[a] + 1; });
    return Math.max(0, ...Object.values(d));
  };
  const cols = (p) => chain(p) * 100 + present(p).length;
  let wide = 0;
  D.periods.forEach((p, i) => { if (cols(p) > cols(D.periods[wide])) wide = i; });
  console.log(`the widest graph: period ${wide}, ${chain(D.periods[wide]) + 1} columns, ${present(D.periods[wide]).length} services`);
  for (const width of [1024, 1280, 1440, 1920]) {
    await page.setViewportSize({ width, height: 900 });
    for (const i of [0, wide]) {
      await page.click(`#period-list li[data-index='${i}']`);
      await noSideScroll(page, [".le-pane", "#graph"], width);
      const n = present(D.periods[i]).length;
      const vis = await page.$$eval("#graph svg g.node", (g) => {
        const b = document.querySelector("#graph").getBoundingClientRect();
        return g.filter((x) => { const r = x.getBoundingClientRect(); return r.left >= b.left - 1 && r.right <= b.right + 1 && r.top >= b.top - 1 && r.bottom <= b.bottom + 1 && r.right <= window.innerWidth; }).length;
      });
      check(vis === n, `${width}px, period ${i}: every suspect's node is inside the graph box (${vis} of ${n})`);
      const clear = await page.evaluate(() => {
        const a = document.querySelector("#ranking").getBoundingClientRect(), d = document.querySelector("#detail").getBoundingClientRect();
        return a.right <= d.left || a.left >= d.right || a.bottom <= d.top || a.top >= d.bottom;
      });
      check(clear, `${width}px, period ${i}: the ranking does not run under the detail panel`);
      const font = await page.$eval("#graph svg text", (t) => t.getBoundingClientRect().height);
      check(font >= 9, `${width}px, period ${i}: graph text stays readable (${font.toFixed(1)} px)`);
    }
  }
  /* Colours (WCAG AA) over a few periods, one of them confirmed. */
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.click("#period-list li[data-index='0']");
  await page.keyboard.press("1");
  await page.keyboard.press("t");
  await page.keyboard.press("c");
  for (const i of [0, 1, wide]) {
    await page.click(`#period-list li[data-index='${i}']`);
    await contrast(page, "#ranking td, #ranking th, #d-stats dt, #d-stats dd, #summary span, #confirmed, #rank-legend", 4.5);
  }
  /* Node text on every shade the periods give (white to dark red). */
  const inks = [];
  for (let i = 0; i < Math.min(D.periods.length, 30); i++) {
    await page.click(`#period-list li[data-index='${i}']`);
    inks.push(...(await page.evaluate(`(${contrastIn.toString()})("#graph svg text", false)`)));
  }
  const low = inks.filter((x) => x.ratio < 4.5);
  check(low.length === 0, `contrast ≥ 4.5:1 for the graph's node text over 30 periods (${inks.length} checked, lowest ` +
    Math.min(...inks.map((x) => x.ratio)).toFixed(2) + ")");
  await contrast(page, "#period-list li .p-when, #period-list li .p-sub, header button, .le-help", 4.5);
  const marks = await page.$eval("#period-list li[data-index='0']", (li) => [li.textContent, getComputedStyle(li).borderLeftStyle]);
  check(marks[0].includes("✓") && marks[1] === "double", "a confirmed period is marked by text and border shape, not only colour");
  check(seen.errors.length === 0, "no console error: " + seen.errors.join(" | "));
  await page.close();
}

async function keyboardOnly(ctx) {
  const { page } = await fresh(ctx, url);
  const D = await data(page), P = D.periods.length;
  const seen = await tabWalk(page, P + 120);
  const rows = new Set(seen.filter((x) => x && x.inList && x.role === "option").map((x) => x.index));
  check(rows.size === P, `Tab reaches every period row (${rows.size} of ${P})`);
  const nodes = new Set(seen.filter((x) => x && x.inGraph && x.role === "button").map((x) => x.service));
  const ranks = new Set(seen.filter((x) => x && x.inRank && x.role === "button").map((x) => x.service));
  const cur = await current(page), n = present(D.periods[cur]).length;
  check(nodes.size === n && ranks.size === n, `Tab reaches every graph node (${nodes.size}) and ranking row (${ranks.size}) of the period (${n})`);
  /* Space on a focused ranking row picks it. */
  for (let i = 0; i < 200 && !(await page.evaluate(() => !!document.activeElement.closest("#ranking tbody"))); i++) await page.keyboard.press("Tab");
  await page.keyboard.press("Tab");
  const svc = await page.evaluate(() => +document.activeElement.dataset.service);
  await page.keyboard.press(" ");
  check((await picked(page)) === D.services[svc], "Space picks the focused ranking row");
  /* Every period by keys: pick #1, a type, confirm. */
  await page.evaluate(() => document.activeElement.blur());
  for (let i = 0; i < P; i++) { await page.keyboard.press("1"); await page.keyboard.press("t"); await page.keyboard.press("c"); }
  const st = await states(page);
  check(st.every((x) => x === "labelled"), `a whole session by keyboard alone confirms every period (${st.filter((x) => x === "labelled").length} of ${P})`);
  for (let i = 0; i < 400 && (await page.evaluate(() => document.activeElement.id)) !== "btn-export"; i++) await page.keyboard.press("Tab");
  const [dl] = await Promise.all([page.waitForEvent("download", { timeout: 5000 }), page.keyboard.press("Enter")]);
  const file = path.join(outDir, "keyboard-rootcause.csv");
  await dl.saveAs(file);
  const lines = fs.readFileSync(file, "utf8").trim().split("\n");
  check(lines.length === P + 1 && lines.slice(1).every((l, i) => l.startsWith(i + ",")), `the export holds the ${P} periods, numbered from 0`);
  await page.close();
}

run({ width: 1440, height: 900 }, [confirmAndDrafts, explained, importing, layout, keyboardOnly]);
