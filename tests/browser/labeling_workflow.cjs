/* Headless Chromium test of the labeling page's workflow (issue 18; run by
 * tests/e2e/pages_workflow.sh):
 *   node labeling_workflow.cjs PAGE.html OUT_DIR
 * PAGE.html holds a trace of 38+ spans (make_reps.py --wide). Checks: a
 * clicked button does not turn Space/Enter into more labels (bug 2); the
 * layout at 1024/1280/1440/1920 (no horizontal scroll, "vs ref" visible,
 * the call tree's root at the top, repeated calls collapsed, slow spans
 * marked: bug 4); next-unlabeled, skip, undo, filters, import of a labels
 * CSV, the partial-export warning, Tab reachability, a whole session by
 * keyboard alone, and the contrast of the page's colours. */
"use strict";
const path = require("path");
const fs = require("fs");
const { check, run, fresh, pageData, contrast, tabWalk, noSideScroll } = require("./common.cjs");

const [pagePath, outDir] = process.argv.slice(2);
const url = "file://" + path.resolve(pagePath);
const data = pageData;
const states = (page) => page.$$eval("#trace-list li", (lis) => lis.map((li) => li.dataset.state));
const current = async (page) => +(await page.getAttribute("#trace-list li.current", "data-index"));
const labelled = (st) => st.filter((x) => x === "normal" || x === "abnormal").length;

/* The page's own rules, from its data: error and slow traces. */
function facts(D) {
  return D.traces.map((t) => {
    const bad = t.parent.map((_, i) => !!t.error[i] || t.status[i] >= 400);
    const slow = t.parent.map((_, i) => {
      const m = t.path_mean[i], sd = t.path_std[i];
      if (m === null || !(t.path_count[i] > 0)) return false;
      return sd > 0 && t.path_count[i] > 1 ? (t.duration[i] - m) / sd >= 3 : m > 0 && t.duration[i] / m >= 2;
    });
    return { errors: bad.some((x) => x), slow: slow.some((x) => x) };
  });
}

async function focusAndKeys(ctx) {
  const { page, seen } = await fresh(ctx, url);
  /* Bug 2: after a click on Normal, Space, Space, Enter label nothing more. */
  await page.click("#btn-normal");
  await page.keyboard.press(" ");
  await page.keyboard.press(" ");
  await page.keyboard.press("Enter");
  const st = await states(page);
  check(labelled(st) === 1 && st[0] === "normal", "bug 2: a click on Normal then Space, Space, Enter labels one trace (" + labelled(st) + ")");
  check((await current(page)) === 2, "Enter goes to the next unlabeled trace without labeling (" + (await current(page)) + ")");
  check(await page.evaluate(() => document.activeElement === document.body), "the clicked button gave its focus back");

  /* Next unlabeled: labels skip traces already labelled. */
  await page.keyboard.press("a");                         // 2 abnormal -> 3
  await page.click("#trace-list li[data-index='1']");
  await page.keyboard.press("n");                         // 1 normal -> 3 (0 and 2 done)
  check((await current(page)) === 3, "a label goes to the next unlabeled trace, past labelled ones (" + (await current(page)) + ")");
  await page.keyboard.press("s");                         // 3 unsure -> 4
  check((await states(page))[3] === "unsure" && (await current(page)) === 4, "s records unsure (not a label) and goes on");
  check((await page.textContent("#trace-list li[data-index='3']")).includes("unsure"), "unsure is written in the row, not only coloured");
  await page.keyboard.press("u");
  check((await states(page))[3] === "unlabeled" && (await current(page)) === 3, "u undoes the skip and goes back to it");
  /* A click in the list then a key: the row's focus does not eat the key. */
  await page.click("#trace-list li[data-index='5']");
  await page.keyboard.press("a");
  check((await states(page))[5] === "abnormal", "a key after a click on a row labels the shown trace");
  const marks = await page.$$eval("#trace-list li", (l) => l.slice(0, 3).map((li) => [li.querySelector(".t-mark").textContent, getComputedStyle(li).borderLeftStyle]));
  check(marks[0][0].includes("normal") && marks[2][0].includes("ABNORMAL") && marks[0][1] !== marks[2][1],
    "normal and abnormal differ by text and border shape, not only hue: " + JSON.stringify(marks));

  /* Help overlay. */
  await page.keyboard.press("?");
  check(await page.isVisible("#help"), "? shows the key help");
  check((await page.textContent("#help")).includes("next unlabeled"), "the help lists the key map");
  await page.keyboard.press("n");
  check(labelled(await states(page)) === 4, "keys do not label behind the help");
  await page.keyboard.press("Escape");
  check(!(await page.isVisible("#help")), "Escape hides it");

  /* Filters: all -> unlabeled -> errors -> slow -> all. */
  const D = await data(page), F = facts(D);
  const visible = () => page.$$eval("#trace-list li", (l) => l.filter((li) => !li.hidden).map((li) => +li.dataset.index));
  const cur = await current(page);
  await page.keyboard.press("f");
  const st2 = await states(page);
  let v = await visible();
  check(v.every((i) => i === cur || !(st2[i] === "normal" || st2[i] === "abnormal")) && v.length === st2.filter((x, i) => i === cur || !(x === "normal" || x === "abnormal")).length,
    `filter unlabeled shows the ${v.length} traces without a label`);
  await page.keyboard.press("f");
  v = await visible();
  const cur2 = await current(page);
  check(v.length > 0 && v.every((i) => F[i].errors || i === cur2) && F.filter((x) => x.errors).length === v.filter((i) => F[i].errors).length,
    `filter errors shows the traces with error spans (${v.length})`);
  await page.keyboard.press("j");
  check(F[await current(page)].errors, "j walks the filtered list");
  await page.keyboard.press("f");
  v = await visible();
  const cur3 = await current(page);
  check(v.every((i) => F[i].slow || i === cur3) && F.filter((x) => x.slow).length === v.filter((i) => F[i].slow).length && F.some((x) => x.slow),
    `filter slow shows the traces with a span ≥3σ over its reference (${v.length})`);
  await page.keyboard.press("f");
  check((await visible()).length === D.traces.length && (await page.textContent("#btn-filter")).includes("all"), "f comes back to all");

  /* Partial export: a warning, no download until confirmed. */
  let downloads = 0;
  page.on("download", () => downloads++);
  await page.click("#btn-export");
  await page.waitForTimeout(500);
  check(downloads === 0 && (await page.isVisible("#banner")) && (await page.textContent("#banner-text")).startsWith("Only 4 of"),
    "a partial export warns first: " + (await page.textContent("#banner-text")));
  await page.click("#banner-no");
  check(!(await page.isVisible("#banner")) && downloads === 0, "dismissing it downloads nothing");
  check(seen.errors.length === 0 && seen.dialogs.length === 0 && seen.requests.length === 0, "no console error, dialog or request: " + seen.errors.join(" | "));
  await page.close();
}

async function importing(ctx) {
  const { page } = await fresh(ctx, url);
  const D = await data(page), ids = D.traces.map((t) => t.id);
  /* As the terminal or a colleague wrote it: CRLF, a BOM, a quoted note, 0/1
   * labels, a row of another round's trace. */
  const good = "\ufefftrace_id,label,note\r\n" + ids[0] + ",normal,\r\n" + ids[1] + ',1,"slow, ""cart"""\r\n' + ids[3] +
    ",abnormal,\r\nffffffffffffffffffffffffffffffff,normal,\r\n";
  await page.click("#trace-list li[data-index='3']");
  await page.keyboard.press("n");                          // this browser said normal; the file says abnormal
  await page.setInputFiles("#import-file", { name: "colleague.csv", mimeType: "text/csv", buffer: Buffer.from(good) });
  await page.waitForFunction(() => !document.getElementById("banner").hidden);
  const msg = await page.textContent("#banner-text");
  check(msg.includes("colleague.csv: 3 labels read (2 abnormal)") && msg.includes("1 replaced") && msg.includes("1 row for traces not on this page left out"),
    "import reports what it read, replaced and left out: " + msg);
  const st = await states(page);
  check(st[0] === "normal" && st[1] === "abnormal" && st[3] === "abnormal" && labelled(st) === 3, "import sets the labels: " + st.slice(0, 4).join(","));
  check((await current(page)) === 2, "and continues at the first trace still to label (" + (await current(page)) + ")");
  await page.click("#trace-list li[data-index='1']");
  check((await page.inputValue("#note")) === 'slow, "cart"', "the quoted note is imported");
  /* A bad file: nothing taken, the file and line named. */
  const bad = "trace_id,label,note\n" + ids[4] + ",normal,\n" + ids[5] + ",maybe,\n";
  await page.setInputFiles("#import-file", { name: "bad.csv", mimeType: "text/csv", buffer: Buffer.from(bad) });
  await page.waitForFunction(() => document.getElementById("banner-text").textContent.startsWith("bad.csv"));
  check((await page.textContent("#banner-text")).startsWith("bad.csv: line 3: unknown label 'maybe'") && (await states(page))[4] === "unlabeled",
    "a bad row stops the import, naming the file and line: " + (await page.textContent("#banner-text")));
  await page.setInputFiles("#import-file", { name: "nohead.csv", mimeType: "text/csv", buffer: Buffer.from("id,what\nx,y\n") });
  await page.waitForFunction(() => document.getElementById("banner-text").textContent.startsWith("nohead.csv"));
  check((await page.textContent("#banner-text")).includes("line 1"), "a file without the header is refused at line 1");
  await page.close();
}

async function layout(ctx) {
  const { page, seen } = await fresh(ctx, url);
  const D = await data(page);
  const wide = D.traces.findIndex((t) => t.parent.length >= 38);
  check(wide >= 0, "the page has a trace of 38+ spans (" + (wide >= 0 ? D.traces[wide].parent.length : 0) + ")");
  for (const width of [1024, 1280, 1440, 1920]) {
    await page.setViewportSize({ width, height: 900 });
    for (const i of [0, wide]) {
      await page.click(`#trace-list li[data-index='${i}']`);
      await noSideScroll(page, [".le-pane", "#timeline", "#topology"], width);
      const dev = await page.$$eval("#timeline .span-row .sp-dev", (d) => {
        const pane = document.querySelector(".le-pane").getBoundingClientRect();
        return d.map((x) => { const r = x.getBoundingClientRect(); return r.width > 20 && r.right <= pane.right + 1 && r.left >= pane.left; });
      });
      check(dev.length > 0 && dev.every((x) => x), `${width}px, trace ${i}: the "vs ref" column is visible on every row`);
      const root = await page.$eval("#topology", (box) => {
        const b = box.getBoundingClientRect(), n = box.querySelector("g.node").getBoundingClientRect();
        return n.top >= b.top && n.bottom <= b.bottom && n.left >= b.left && box.scrollTop === 0;
      });
      check(root, `${width}px, trace ${i}: the call tree's root is at the top of its box, visible`);
    }
  }
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.click(`#trace-list li[data-index='${wide}']`);
  const t = D.traces[wide];
  const nodes = await page.$$eval("#topology g.node", (g) => g.map((x) => ({ covers: +x.dataset.covers, text: x.querySelector("text").textContent,
    title: x.querySelector("title").textContent, slow: x.classList.contains("slow") })));
  check(nodes.length < t.parent.length / 2 && nodes.reduce((n, x) => n + x.covers, 0) === t.parent.length,
    `repeated sibling calls collapse: ${nodes.length} boxes stand for ${t.parent.length} spans`);
  check(nodes.some((x) => / ×\d+/.test(x.text)), "a collapsed box says ×N");
  check(nodes.every((x) => x.title.includes(" · ") && (!x.text.includes("…") || x.title.length > x.text.length)), "every box has a tooltip with its full name");
  const slowRows = await page.$$eval("#timeline .span-row.slow", (r) => r.length);
  check(slowRows > 0 && nodes.some((x) => x.slow && x.text.includes("slow")), `slow spans are marked in the timeline (${slowRows}) and the call tree`);
  /* The ruler and folding. */
  check((await page.$$eval(".sp-ruler .tick", (x) => x.length)) >= 3, "the timeline has a time ruler");
  const before = await page.$$eval("#timeline .span-row", (r) => r.length);
  await page.click("#timeline .span-row:nth-of-type(2) .sp-fold");
  const after = await page.$$eval("#timeline .span-row", (r) => r.length);
  check(after === 1, `folding the root hides its subtree (${before} -> ${after} rows)`);
  await page.click("#timeline .span-row .sp-fold");
  check((await page.$$eval("#timeline .span-row", (r) => r.length)) === before, "unfolding shows it again");
  /* Colours (WCAG AA): text 4.5:1, bars and borders 3:1. */
  await page.keyboard.press("a");
  await page.keyboard.press("n");
  await page.click("#trace-list li[data-index='0']");
  await contrast(page, "#trace-list li .t-id, #trace-list li .t-size, #trace-list li .t-sub", 4.5);
  await contrast(page, "#summary span, header button, #timeline .span-row > span:not(.sp-track), #timeline .sp-svc, #timeline .sp-op, .le-help, .le-side-head", 4.5);
  await contrast(page, "#topology svg text", 4.5);
  await page.click(`#trace-list li[data-index='${wide}']`);
  await contrast(page, "#timeline .sp-bar", 3, true);
  await contrast(page, "#topology svg text", 4.5);
  await contrast(page, "#timeline .span-row > span:not(.sp-track)", 4.5);
  check(seen.errors.length === 0, "no console error: " + seen.errors.join(" | "));
  await page.close();
}

async function keyboardOnly(ctx) {
  const { page } = await fresh(ctx, url);
  const D = await data(page), n = D.traces.length;
  const seen = await tabWalk(page, n + 40);
  const rows = new Set(seen.filter((x) => x && x.inList && x.role === "option").map((x) => x.index));
  check(rows.size === n, `Tab reaches every trace row (${rows.size} of ${n}), which has role option`);
  const ids = new Set(seen.filter((x) => x).map((x) => x.id));
  check(["btn-normal", "btn-abnormal", "btn-skip", "btn-export", "btn-import", "btn-filter", "note"].every((x) => ids.has(x)), "Tab reaches the buttons and the note");
  check(seen.some((x) => x && x.inGraph && x.role === "button"), "Tab reaches the call tree's boxes (role button)");
  /* The whole session by keys: from the list, every trace labelled. */
  await page.evaluate(() => document.activeElement.blur());
  for (let i = 0; i < n; i++) await page.keyboard.press("k");
  check((await current(page)) === 0, "k walks back to the first trace");
  for (let i = 0; i < n; i++) await page.keyboard.press(i % 3 ? "n" : "a");
  const st = await states(page);
  check(labelled(st) === n, `a whole session by keyboard alone labels every trace (${labelled(st)} of ${n})`);
  check((await page.textContent("#banner-text")).includes("Every trace is labelled"), "the page says when every trace is done");
  /* Export by Tab and Enter: complete, so no warning. */
  for (let i = 0; i < 80 && (await page.evaluate(() => document.activeElement.id)) !== "btn-export"; i++) await page.keyboard.press("Tab");
  const [dl] = await Promise.all([page.waitForEvent("download", { timeout: 5000 }), page.keyboard.press("Enter")]);
  const file = path.join(outDir, "keyboard-labels.csv");
  await dl.saveAs(file);
  const lines = fs.readFileSync(file, "utf8").trim().split("\n");
  check(lines.length === n + 1 && lines.slice(1).every((l, i) => l.startsWith(D.traces[i].id + "," + (i % 3 ? "normal" : "abnormal"))),
    `the export holds the ${n} labels in list order`);
  await page.close();
}

run({ width: 1440, height: 900 }, [focusAndKeys, importing, layout, keyboardOnly]);
