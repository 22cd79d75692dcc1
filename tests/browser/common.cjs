/* What the page tests share: a fresh headless Debian chromium (never a
 * downloaded browser), a watcher of dialogs, console errors and network
 * requests, checks that print and count, and the run-then-exit wrapper. */
"use strict";
const path = require("path");
const fs = require("fs");
const os = require("os");
const { chromium } = require(path.join(process.env.LE_NODE_MODULES, "playwright-core"));

const failures = [];
const check = (ok, what) => { if (!ok) failures.push(what); console.log((ok ? "ok   " : "FAIL ") + what); };

async function launch(viewport) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "le-chromium-"));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    acceptDownloads: true,
    viewport,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  return { ctx, profile };
}

/* Any request that is not the file itself (or a Blob/data URL it made) is a
 * page that is not self-contained. */
function watch(page) {
  const seen = { dialogs: [], errors: [], requests: [] };
  page.on("dialog", (d) => { seen.dialogs.push(d.message()); d.dismiss().catch(() => {}); });
  page.on("console", (m) => { if (m.type() === "error") seen.errors.push(m.text()); });
  page.on("pageerror", (e) => seen.errors.push(String(e)));
  page.on("request", (r) => { if (!/^(file|blob|data):/.test(r.url())) seen.requests.push(r.url()); });
  return seen;
}

const ready = (page) => page.waitForSelector("body[data-ready='1']", { timeout: 10000 });

/* Run each step with one browser; exit 1 when any check failed. */
function run(viewport, steps) {
  (async () => {
    const { ctx, profile } = await launch(viewport);
    try {
      for (const step of steps) await step(ctx);
    } catch (e) {
      failures.push(String(e && e.stack || e));
      console.log("FAIL " + e);
    } finally {
      await ctx.close();
      fs.rmSync(profile, { recursive: true, force: true });
    }
    if (failures.length) { console.log(failures.length + " check(s) failed"); process.exit(1); }
    console.log("all checks passed");
  })();
}

module.exports = { check, watch, ready, run };
