/* Headless Chromium test of the root-cause page (run by tests/e2e/rootcause_page.sh):
 *   node rootcause.cjs PAGE.html EVIL.html OUT_DIR
 * Opens the page from file://, selects periods, checks the graph and the
 * ranking against the page's own data block, picks services by click and
 * key, chooses fault types (one "other" with text), confirms, reloads
 * (labels and position survive), exports rootcause-labels.csv into OUT_DIR;
 * then opens EVIL.html, whose service names hold markup and script, and
 * checks they render as text and run nothing. (Screenshots:
 * tests/browser/screenshots.sh.) */
"use strict";
const path = require("path");
const fs = require("fs");
const { check, watch, ready, run } = require("./common.cjs");

const [pagePath, evilPath, outDir] = process.argv.slice(2);

const data = (page) => page.evaluate(() => JSON.parse(document.querySelector('script[type="application/json"]').textContent));
const states = (page) => page.$$eval("#period-list li", (lis) => lis.map((li) => li.dataset.state));
const current = (page) => page.getAttribute("#period-list li.current", "data-index");
const present = (p) => p.order.filter((s) => p.ef[s] + p.ep[s] > 0);

/* The graph and the ranking of period i against the data block. */
async function checkPeriod(page, D, i) {
  const p = D.periods[i], want = present(p);
  const nodes = await page.$$eval("#graph svg g.node", (g) => g.map((n) => +n.dataset.service));
  check(JSON.stringify([...nodes].sort((a, b) => a - b)) === JSON.stringify([...want].sort((a, b) => a - b)),
    `period ${i + 1}: one graph node per service in the period (${nodes.length})`);
  const edges = p.edges.filter(([a, b]) => a !== b && want.includes(a) && want.includes(b)).length;
  const drawn = await page.$$eval("#graph svg path.edge", (e) => e.length);
  check(drawn === edges && edges > 0, `period ${i + 1}: one arrow per invocation edge (${drawn} of ${edges})`);
  const rows = await page.$$eval("#ranking tbody tr", (r) => r.map((tr) => +tr.dataset.service));
  check(JSON.stringify(rows) === JSON.stringify(want), `period ${i + 1}: the ranking is the stored order`);
  const first = await page.$$eval("#ranking tbody tr:first-child td", (td) => td.map((x) => x.textContent));
  check(first[1] === D.services[want[0]] && first[2] === p.score[want[0]].toFixed(3) && +first[4] === p.ef[want[0]],
    `period ${i + 1}: the top row shows name, score and abnormal traces (${first.slice(0, 5).join(" ")})`);
  /* The best-scored node is the darkest. */
  const fills = await page.$$eval("#graph svg g.node rect", (r) => r.map((x) => x.getAttribute("fill")));
  check(fills.every((f) => /^rgb\(|^#/.test(f)), "nodes are shaded");
}

async function labelling(ctx) {
  const page = await ctx.newPage();
  const seen = watch(page);
  await page.goto("file://" + path.resolve(pagePath));
  await ready(page);
  const D = await data(page), P = D.periods.length, SV = D.services;
  check(P >= 4 && (await states(page)).length === P, `the list shows the ${P} periods`);
  check((await page.textContent("#progress")).startsWith(`0 / ${P} periods labelled`), "progress starts at 0");

  /* Period 2: select it, check graph and ranking, click the 2nd suspect in the graph. */
  await page.click("#period-list li[data-index='1']");
  check((await current(page)) === "1" && (await page.textContent("#summary")).includes("Period 1"), "clicking a period selects it (period 1: numbered from 0, as in the CSV)");
  await checkPeriod(page, D, 1);
  const s2 = present(D.periods[1])[1];
  await page.click(`#graph svg g.node[data-service='${s2}']`);
  check((await page.textContent("#d-name")) === SV[s2], "clicking a node shows it in the detail panel");
  check(await page.$eval(`#ranking tbody tr[data-service='${s2}']`, (tr) => tr.classList.contains("selected")), "and selects its ranking row");
  const stats = await page.textContent("#d-stats");
  check(stats.includes(`${D.periods[1].ef[s2]} of ${D.periods[1].n_abnormal}`) && stats.includes("corpus latency"),
    "the detail panel: abnormal traces through it, period and corpus latency");
  await page.click("#btn-confirm");
  check((await page.textContent("#confirmed")).startsWith("Choose a fault type first"), "confirm without a fault type is refused");
  await page.check("#fault-type input[value='cpu']");
  await page.click("#btn-confirm");
  check((await states(page))[1] === "labelled", "confirm labels the period");
  check((await current(page)) === "2", "confirm moves to the next unconfirmed period");
  await page.keyboard.press("k");
  check(await page.$eval(`#graph svg g.node[data-service='${s2}']`, (g) => g.classList.contains("confirmed")), "the confirmed node is marked");

  /* Period 3 by key, its top suspect by key 1, "other" with text and a note. */
  await page.keyboard.press("j");
  check((await current(page)) === "2", "j moves to the next period");
  await checkPeriod(page, D, 2);
  await page.keyboard.press("2");
  await page.keyboard.press("1");
  const s1 = present(D.periods[2])[0];
  check((await page.textContent("#d-name")) === SV[s1], "key 1 selects the top suspect");
  await page.check("#fault-type input[value='other']");
  await page.click("#btn-confirm");
  check((await page.textContent("#confirmed")) === "Describe the other fault type.", "other without text is refused");
  await page.fill("#fault-other", 'disk, "full"');
  await page.fill("#note", 'seen twice, "late"');
  await page.click("#btn-confirm");
  check((await page.textContent("#progress")).startsWith(`2 / ${P} periods labelled`), "progress: " + (await page.textContent("#progress")));
  check((await page.textContent("#period-list li[data-index='2'] .p-sub")).includes(`root cause: ${SV[s1]} (other: disk, "full")`),
    "the list shows the confirmed root cause");

  await page.reload();
  await ready(page);
  const st = await states(page);
  check(st[1] === "labelled" && st[2] === "labelled" && st.filter((x) => x === "labelled").length === 2, "labels survive a reload");
  check((await current(page)) === "3", "the position survives a reload");
  await page.click("#period-list li[data-index='2']");
  check((await page.inputValue("#fault-other")) === 'disk, "full"' && (await page.inputValue("#note")) === 'seen twice, "late"',
    "the other text and the note survive a reload");
  await page.click("#period-list li[data-index='1']");
  check((await page.textContent("#confirmed")).startsWith(`Confirmed: ${SV[s2]} (cpu)`), "period 2 keeps its label after a reload");

  await page.click("#btn-export"); /* partial: a warning first (tests/browser/rootcause_workflow.cjs checks it) */
  const [dl] = await Promise.all([page.waitForEvent("download"), page.click("#banner-yes")]);
  check(dl.suggestedFilename() === "rootcause-labels.csv", "export is named rootcause-labels.csv");
  await dl.saveAs(path.join(outDir, "rootcause-labels.csv"));
  fs.writeFileSync(path.join(outDir, "want.txt"), [SV[s2], SV[s1]].join("\n") + "\n");
  check(seen.requests.length === 0, "no network request: " + seen.requests.join(" "));
  check(seen.errors.length === 0 && seen.dialogs.length === 0, "no console error or dialog: " + seen.errors.concat(seen.dialogs).join(" | "));
  await page.close();
}

async function injection(ctx) {
  const page = await ctx.newPage();
  const seen = watch(page);
  await page.goto("file://" + path.resolve(evilPath));
  await ready(page);
  const D = await data(page);
  let text = await page.textContent("#period-list");
  for (let i = 0; i < Math.min(D.periods.length, 12); i++) {
    await page.click(`#period-list li[data-index='${i}']`);
    text += await page.textContent("#ranking");
    text += await page.textContent("#d-name");
    text += await page.$eval("#graph svg", (s) => Array.from(s.querySelectorAll("title")).map((t) => t.textContent).join(" "));
  }
  check(text.includes("</script><script>alert('svc')</script>"), "a <script> service name renders as text");
  check(text.includes("<img src=x onerror=alert('img')>"), "an <img onerror> service name renders as text");
  check(await page.evaluate(() => document.scripts.length === 2 && document.images.length === 0 &&
    document.querySelectorAll("b, img, iframe, object").length === 0), "no element came from the data");
  await page.waitForTimeout(300); /* let any injected handler fire */
  check(seen.dialogs.length === 0, "no dialog opened: " + seen.dialogs.join(" | "));
  check(seen.errors.length === 0, "no console error (a CSP block would show here): " + seen.errors.join(" | "));
  check(seen.requests.length === 0, "no network request: " + seen.requests.join(" "));
  await page.close();
}

run({ width: 1400, height: 900 }, [labelling, injection]);
