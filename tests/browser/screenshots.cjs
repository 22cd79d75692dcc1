/* The pages' screenshots in docs/img, at 1440×900 (run by
 * tests/browser/screenshots.sh, which makes the pages):
 *   node screenshots.cjs REPS.html RC.html SHOT_DIR
 * labeling-page.png: a session under way, the trace of 70 spans shown
 * (collapsed call tree, slow spans); labeling-timeline.png: its span
 * timeline; rootcause-page.png: a confirmed period and a draft, the
 * ranking with its tie-group legend; labeling-help.png: the ? overlay. */
"use strict";
const path = require("path");
const { check, run, fresh, pageData } = require("./common.cjs");

const [repsPath, rcPath, shotDir] = process.argv.slice(2);
const shot = (name) => path.join(shotDir, name);

async function labeling(ctx) {
  const { page } = await fresh(ctx, "file://" + path.resolve(repsPath));
  const D = await pageData(page);
  for (const k of ["n", "a", "n", "s", "n"]) await page.keyboard.press(k);
  const wide = D.traces.findIndex((t) => t.parent.length >= 38);
  await page.click(`#trace-list li[data-index='${wide}']`);
  await page.evaluate(() => document.activeElement.blur());
  await page.screenshot({ path: shot("labeling-page.png") });
  await page.locator("#timeline").screenshot({ path: shot("labeling-timeline.png") });
  await page.evaluate(() => { document.querySelector(".le-pane").scrollTop = 0; });
  await page.keyboard.press("?");
  await page.screenshot({ path: shot("labeling-help.png") });
  check(true, "labeling-page.png, labeling-timeline.png, labeling-help.png");
  await page.close();
}

async function rootcause(ctx) {
  const { page } = await fresh(ctx, "file://" + path.resolve(rcPath));
  await page.keyboard.press("2");
  await page.keyboard.press("t");
  await page.keyboard.press("c");                 // period 0 confirmed, on to 1
  await page.keyboard.press("3");
  await page.keyboard.press("t");
  await page.keyboard.press("t");                 // period 1: a draft
  await page.keyboard.press("k");                 // back to period 0: its tie group explained
  await page.screenshot({ path: shot("rootcause-page.png") });
  check(true, "rootcause-page.png");
  await page.close();
}

run({ width: 1440, height: 900 }, [labeling, rootcause]);
