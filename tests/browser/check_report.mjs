// Opens a bundle's index.html in headless Chromium (Debian's, through playwright-core) at
// phone, laptop and projector widths and fails on: horizontal overflow of the page, boxes
// that overlap, a broken image, a console error or page error, and any axe-core violation
// at WCAG 2.1 level A or AA. Writes a screenshot of the first screen at each width and the
// first screen's text to the output folder.
//
// usage: node check_report.mjs <bundle folder> <output folder>
import { chromium } from "playwright-core";
import { readFileSync, mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

const [bundle, out] = process.argv.slice(2);
if (!bundle || !out) {
  console.error("usage: node check_report.mjs <bundle folder> <output folder>");
  process.exit(2);
}
mkdirSync(out, { recursive: true });
const url = pathToFileURL(resolve(bundle, "index.html")).href;
const widths = [320, 390, 1366, 1920];

const browser = await chromium.launch({
  executablePath: process.env.OPPVEKST_CHROMIUM || "/usr/bin/chromium",
  args: [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});
let failures = 0;
const fail = (width, what) => {
  failures += 1;
  console.error(`FAIL at ${width} px: ${what}`);
};

for (const width of widths) {
  const page = await browser.newPage({ viewport: { width, height: width < 700 ? 844 : 900 } });
  const errors = [];
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("requestfailed", (r) => errors.push(`request failed: ${r.url()}`));
  await page.goto(url, { waitUntil: "load" });
  // Open every disclosure so the tables inside are laid out and checked too.
  await page.evaluate(() => document.querySelectorAll("details").forEach((d) => { d.open = true; }));

  const layout = await page.evaluate(() => {
    const doc = document.documentElement;
    const overflow = Math.max(doc.scrollWidth, document.body.scrollWidth) - doc.clientWidth;
    const imgs = [...document.images];
    const broken = imgs.filter((i) => !(i.complete && i.naturalWidth > 0)).map((i) => i.getAttribute("src"));
    // Boxes that must not overlap: images, tables' scroll regions, headings, paragraphs,
    // list items, captions. A box inside another is not an overlap.
    const sel = "img, .table-wrap, h1, h2, h3, p, li, figcaption, summary";
    const boxes = [...document.querySelectorAll(sel)]
      .filter((e) => e.getClientRects().length > 0)
      .map((e) => ({ e, r: e.getBoundingClientRect() }))
      .filter((b) => b.r.width > 0 && b.r.height > 0);
    const name = (e) => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className ? "." + e.className : "");
    const overlaps = [];
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i], b = boxes[j];
        if (a.e.contains(b.e) || b.e.contains(a.e)) continue;
        const x = Math.min(a.r.right, b.r.right) - Math.max(a.r.left, b.r.left);
        const y = Math.min(a.r.bottom, b.r.bottom) - Math.max(a.r.top, b.r.top);
        if (x > 1 && y > 1) overlaps.push(`${name(a.e)} and ${name(b.e)}`);
      }
    }
    // Any box wider than the viewport or reaching past its right edge.
    const outside = boxes
      .filter((b) => b.r.right > doc.clientWidth + 1 && !b.e.closest(".table-wrap"))
      .map((b) => name(b.e));
    const charts = imgs.map((i) => i.getBoundingClientRect().width);
    return { overflow, broken, overlaps, outside, images: imgs.length, narrowestChart: Math.min(...charts) };
  });
  if (layout.overflow > 0) fail(width, `the page scrolls sideways by ${layout.overflow} px`);
  if (layout.broken.length) fail(width, `broken images: ${layout.broken.join(", ")}`);
  if (layout.overlaps.length) fail(width, `overlapping boxes: ${layout.overlaps.slice(0, 10).join("; ")}`);
  if (layout.outside.length) fail(width, `boxes past the right edge: ${layout.outside.slice(0, 10).join(", ")}`);
  if (errors.length) fail(width, `console: ${errors.join(" | ")}`);
  if (width <= 390 && layout.narrowestChart < width - 40) {
    fail(width, `a chart is only ${layout.narrowestChart} px wide on a phone`);
  }

  await page.addScriptTag({ content: axeSource });
  const axe = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } });
    return {
      violations: r.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.length} × ${v.help}; first: ${v.nodes[0]?.target}`),
      passes: r.passes.length,
    };
  });
  for (const v of axe.violations) fail(width, `axe: ${v}`);
  console.log(`${width} px: ${layout.images} images, narrowest chart ${Math.round(layout.narrowestChart)} px, ` +
    `overflow ${Math.max(0, layout.overflow)} px, ${layout.overlaps.length} overlaps, ` +
    `axe ${axe.violations.length} violations / ${axe.passes} rules passed`);

  await page.evaluate(() => document.querySelectorAll("details").forEach((d) => { d.open = false; }));
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: `${out}/first-screen-${width}.png` });
  if (width === 390) {
    const text = await page.evaluate(() => document.getElementById("det-viktigste").innerText);
    writeFileSync(`${out}/first-screen.txt`, text + "\n");
  }
  await page.close();
}
await browser.close();
if (failures) {
  console.error(`${failures} problem(s) in the report`);
  process.exit(1);
}
console.log("the report passes at " + widths.join(", ") + " px");
