/* Headless Chromium test of the labeling page (run by tests/e2e/labeling_page.sh):
 *   node labeling.cjs PAGE.html EVIL.html OUT_DIR [SUGGEST.html]
 * Opens the page from file://, labels with clicks and keys, undoes, reloads
 * (labels survive), exports labels.csv into OUT_DIR; then opens EVIL.html,
 * whose names hold markup and script, and checks they render as text and
 * run nothing. SUGGEST.html (make_reps.py --suggest, a round-2 file): each
 * representative's suggestion in the detail header and the list, as text,
 * none where the file has none, and never taken as a label; PAGE.html (round
 * 1) shows none. (Screenshots: tests/browser/screenshots.sh.) */
"use strict";
const path = require("path");
const { check, watch, ready, run } = require("./common.cjs");

const [pagePath, evilPath, outDir, suggestPath] = process.argv.slice(2);

const states = (page) => page.$$eval("#trace-list li", (lis) => lis.map((li) => li.dataset.state));
const progress = (page) => page.textContent("#progress");

async function labeling(ctx) {
  const page = await ctx.newPage();
  const seen = watch(page);
  await page.goto("file://" + path.resolve(pagePath));
  await ready(page);
  const n = (await states(page)).length;
  check(n >= 8, `the list shows the representatives (${n})`);
  check((await progress(page)).startsWith(`0 / ${n} labelled`), "progress starts at 0");
  check((await page.$$("#summary .s-sugg, #trace-list .t-sugg")).length === 0 &&
    !(await page.evaluate(() => document.body.innerText)).includes("suggest"), "a round-1 page shows no suggestion");

  /* The first trace: timeline and topology show every span. */
  const spans = await page.$$eval("#timeline .span-row", (r) => r.length);
  const nodes = await page.$$eval("#topology svg g.node", (g) => g.reduce((n, x) => n + +x.dataset.covers, 0));
  check(spans > 0 && spans === nodes, `timeline rows (${spans}) and the spans the call tree stands for (${nodes}) match`);
  check((await page.textContent("#timeline")).includes("n="), "reference statistics beside the spans");

  await page.click("#btn-normal");                        // trace 0 normal -> 1
  await page.click("#trace-list li[data-index='3']");      // select trace 3
  await page.fill("#note", 'slow, "checkout"');
  await page.click("#btn-abnormal");                       // 3 abnormal (with note) -> 4
  await page.keyboard.press("a");                          // 4 abnormal -> 5
  await page.keyboard.press("n");                          // 5 normal -> 6
  await page.keyboard.press("j");                          // -> 7
  await page.keyboard.press("k");                          // -> 6
  await page.keyboard.press("ArrowDown");                  // -> 7
  await page.keyboard.press("n");                          // 7 normal -> 8
  await page.keyboard.press("u");                          // undo: 7 unlabeled, back on 7
  check((await page.getAttribute("#trace-list li.current", "data-index")) === "7", "undo returns to the trace it undid");
  await page.keyboard.press("a");                          // 7 abnormal -> 8
  const want = ["normal", "unlabeled", "unlabeled", "abnormal", "abnormal", "normal", "unlabeled", "abnormal"];
  const got = (await states(page)).slice(0, 8);
  check(JSON.stringify(got) === JSON.stringify(want), "states after clicks and keys: " + got.join(","));
  check((await progress(page)).startsWith(`5 / ${n} labelled (3 abnormal)`), "progress: " + (await progress(page)));
  const colour = await page.$eval("#trace-list li[data-index='3']", (li) => getComputedStyle(li).color);
  check(colour === "rgb(207, 34, 46)", "an abnormal trace is red in the list (" + colour + ")");

  await page.reload();
  await ready(page);
  const after = (await states(page)).slice(0, 8);
  check(JSON.stringify(after) === JSON.stringify(want), "labels survive a reload");
  check((await page.getAttribute("#trace-list li.current", "data-index")) === "8", "the position survives a reload");
  await page.click("#trace-list li[data-index='3']");
  check((await page.inputValue("#note")) === 'slow, "checkout"', "the note survives a reload");

  await page.click("#btn-export"); /* partial: a warning first (tests/browser/labeling_workflow.cjs checks it) */
  const [dl] = await Promise.all([page.waitForEvent("download"), page.click("#banner-yes")]);
  check(dl.suggestedFilename() === "labels.csv", "export is named labels.csv");
  await dl.saveAs(path.join(outDir, "labels.csv"));
  check(seen.requests.length === 0, "no network request: " + seen.requests.join(" "));
  check(seen.errors.length === 0 && seen.dialogs.length === 0, "no console error or dialog: " + seen.errors.concat(seen.dialogs).join(" | "));
  await page.close();
}

async function injection(ctx) {
  const page = await ctx.newPage();
  const seen = watch(page);
  await page.goto("file://" + path.resolve(evilPath));
  await ready(page);
  const n = (await states(page)).length;
  let text = "";
  for (let i = 0; i < n; i++) {
    text += await page.textContent("#timeline");
    text += await page.$eval("#topology svg", (s) => Array.from(s.querySelectorAll("title")).map((t) => t.textContent).join(" "));
    await page.keyboard.press("j");
  }
  check(text.includes("</script><script>alert('svc')</script>"), "a <script> service name renders as text");
  check(text.includes("<img src=x onerror=alert('img')>"), "an <img onerror> service name renders as text");
  check(text.includes("GET /<b>bold</b>"), "markup in an operation name renders as text");
  check(await page.evaluate(() => document.scripts.length === 2 && document.images.length === 0 &&
    document.querySelectorAll("b, img, iframe, object").length === 0), "no element came from the data");
  await page.waitForTimeout(300); /* let any injected handler fire */
  check(seen.dialogs.length === 0, "no dialog opened: " + seen.dialogs.join(" | "));
  check(seen.errors.length === 0, "no console error (a CSP block would show here): " + seen.errors.join(" | "));
  await page.close();
}

/* Round 2: the label the earlier labels propagate, with its margin, shown
 * as words beside each representative (make_reps.py --suggest: #0 the truth
 * at margin 0.05, #1 the other label, #2 none, #3 margin +inf). */
async function suggestions(ctx) {
  const page = await ctx.newPage();
  const seen = watch(page);
  await page.goto("file://" + path.resolve(suggestPath));
  await ready(page);
  const data = await page.evaluate(() => LE.data().traces.map((t) => [t.suggested, t.suggested_margin]));
  const name = (l) => (l === 1 ? "abnormal" : "normal");
  const head = async (i) => {
    await page.click(`#trace-list li[data-index='${i}']`);
    return page.$$eval("#summary .s-sugg", (e) => e.map((x) => x.textContent).join("|"));
  };
  check((await head(0)) === "suggested: " + name(data[0][0]) + ", margin 0.05", "#0's header: " + (await head(0)));
  check(data[1][0] === 0 || data[1][0] === 1, "#1 has a suggestion in the data");
  check((await head(1)) === "suggested: " + name(data[1][0]) + ", margin 0.10", "#1's header: " + (await head(1)));
  check(data[2][0] === undefined && (await head(2)) === "", "#2 (-1 in reps.h5) shows none: '" + (await head(2)) + "'");
  check((await head(3)) === "suggested: " + name(data[3][0]) + ", every label so far is " + name(data[3][0]),
    "#3 (margin +inf): " + (await head(3)));
  const marks = await page.$$eval("#trace-list li", (lis) => lis.map((li) => {
    const m = li.querySelector(".t-sugg");
    return m ? m.textContent : "";
  }));
  check(marks[0] === " · suggests " + name(data[0][0]) && marks[1] === " · suggests " + name(data[1][0]) && marks[2] === "",
    "the list marks suggestions in words: " + JSON.stringify(marks.slice(0, 4)));
  check((await states(page)).every((s) => s === "unlabeled"), "a suggestion is not a label: every trace still unlabeled");
  check((await progress(page)).startsWith("0 / "), "progress counts no suggestion: " + (await progress(page)));
  await page.keyboard.press("a"); /* #3 abnormal, whatever was suggested */
  check((await states(page))[3] === "abnormal", "the person's label is the one kept");
  check(seen.requests.length === 0 && seen.errors.length === 0, "no request or console error: " + seen.errors.join(" | "));
  await page.close();
}

run({ width: 1400, height: 860 }, suggestPath ? [labeling, injection, suggestions] : [labeling, injection]);
