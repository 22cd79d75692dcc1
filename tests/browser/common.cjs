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
      /* A step that throws fails; the next steps still run, so one broken
       * part does not hide the state of the others. */
      for (const step of steps) {
        try {
          await step(ctx);
        } catch (e) {
          failures.push(String(e && e.stack || e));
          console.log("FAIL " + step.name + ": " + e);
          for (const p of ctx.pages()) await p.close().catch(() => {});
        }
      }
    } finally {
      await ctx.close();
      fs.rmSync(profile, { recursive: true, force: true });
    }
    if (failures.length) { console.log(failures.length + " check(s) failed"); process.exit(1); }
    console.log("all checks passed");
  })();
}

/* A new tab on the page with this browser's stored labels cleared. */
async function fresh(ctx, url) {
  const page = await ctx.newPage();
  const seen = watch(page);
  await page.goto(url);
  await ready(page);
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  await ready(page);
  return { page, seen };
}

/* The page's embedded data block. */
const pageData = (page) => page.evaluate(() => JSON.parse(document.getElementById("le-data").textContent));

module.exports = { check, watch, ready, run, fresh, pageData };

/* In the page: WCAG contrast of the text (or a graphic) of each element
 * against what is painted behind it (the nearest ancestor with a
 * background, white at the top). Returns [{what, ratio}]. */
function contrastIn(sel, graphic) {
  const rgb = (c) => { const m = String(c).match(/[\d.]+/g) || []; return { c: m.slice(0, 3).map(Number), a: m.length > 3 ? +m[3] : 1 }; };
  const lum = (c) => { const v = c.map((x) => { x /= 255; return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4); });
    return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]; };
  const ratio = (a, b) => { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
  const bgOf = (e) => {
    for (let n = e; n && n.nodeType === 1; n = n.parentElement) {
      if (n.tagName === "g" && n.querySelector(":scope > rect")) return rgb(getComputedStyle(n.querySelector(":scope > rect")).fill).c;
      const b = rgb(getComputedStyle(n).backgroundColor);
      if (b.a > 0.5 && b.c.length === 3) return b.c;
    }
    return [255, 255, 255];
  };
  return Array.from(document.querySelectorAll(sel)).filter((e) => e.getClientRects().length).map((e) => {
    const st = getComputedStyle(e);
    const fg = graphic ? rgb(st.backgroundColor).c : rgb(e.namespaceURI.includes("svg") ? st.fill : st.color).c;
    const bg = graphic ? bgOf(e.parentElement) : bgOf(e.namespaceURI.includes("svg") ? e.parentElement : e);
    return { what: (e.id || e.className.baseVal || e.className || e.tagName) + " " + (e.textContent || "").slice(0, 30), ratio: ratio(fg, bg) };
  });
}

/* Check that every element of sel has at least min:1 contrast. */
async function contrast(page, sel, min, graphic) {
  const got = await page.evaluate(`(${contrastIn.toString()})(${JSON.stringify(sel)}, ${!!graphic})`);
  const low = got.filter((x) => x.ratio < min);
  check(got.length > 0 && low.length === 0, `contrast ≥ ${min}:1 for ${sel} (${got.length} checked, lowest ` +
    (got.length ? Math.min(...got.map((x) => x.ratio)).toFixed(2) : "-") + (low.length ? "; " + low.slice(0, 3).map((x) => x.what + " " + x.ratio.toFixed(2)).join(" | ") : "") + ")");
}

/* Press Tab up to n times; what got the focus, as selectors' matches. */
async function tabWalk(page, n) {
  const seen = [];
  await page.evaluate(() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); });
  for (let i = 0; i < n; i++) {
    await page.keyboard.press("Tab");
    seen.push(await page.evaluate(() => {
      const e = document.activeElement;
      return e ? { tag: e.tagName, id: e.id, role: e.getAttribute("role"), index: e.dataset ? e.dataset.index : undefined,
        service: e.dataset ? e.dataset.service : undefined, span: e.dataset ? e.dataset.span : undefined,
        inList: !!e.closest("ol"), inGraph: !!e.closest("svg"), inRank: !!e.closest("#ranking") } : null;
    }));
  }
  return seen;
}

/* Layout at one width: no horizontal scroll in the panes. */
async function noSideScroll(page, sels, width) {
  for (const sel of sels) {
    const [sw, cw] = await page.$eval(sel, (e) => [e.scrollWidth, e.clientWidth]);
    check(sw <= cw + 1, `${width}px: no horizontal scroll in ${sel} (${sw} ≤ ${cw})`);
  }
}

module.exports.contrast = contrast;
module.exports.contrastIn = contrastIn;
module.exports.tabWalk = tabWalk;
module.exports.noSideScroll = noSideScroll;
