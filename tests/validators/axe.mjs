// Runs axe-core (WCAG 2.0/2.1/2.2 A and AA) on each page at each viewport width in the
// system Chromium, and measures how wide each page is laid out (WCAG 1.4.10 Reflow). Every <details>
// is opened first: what a reader can unfold (the contents on a phone) must pass too.
// Then it presses Tab a few times, as a keyboard user does, and records how each focused element is
// outlined and what background the outline is drawn on (WCAG 2.4.7 / 1.4.11).
// Usage: node axe.mjs CHROMIUM WIDTHS URL... ; prints one JSON object per line:
// {url, width, scrollWidth, violations: [{id, impact, help, nodes: [target…]}],
//  focus: [{element, outlineStyle, outlineWidth, outlineColor, background}]}
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import puppeteer from "puppeteer-core";

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const [chromium, widths, ...urls] = process.argv.slice(2);
const TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];
const TABS = 4;

// The focused element's outline and the first opaque background behind it.
function focused() {
  const e = document.activeElement, s = getComputedStyle(e);
  let background = "rgb(255, 255, 255)";
  for (let n = e.parentElement; n; n = n.parentElement) {
    const b = getComputedStyle(n).backgroundColor;
    if (b !== "rgba(0, 0, 0, 0)" && b !== "transparent") { background = b; break; }
  }
  const name = e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className ? "." + e.className : "");
  return { element: name, outlineStyle: s.outlineStyle, outlineWidth: s.outlineWidth, outlineColor: s.outlineColor,
           background };
}

const browser = await puppeteer.launch({
  executablePath: chromium,
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage();
  for (const url of urls) {
    for (const width of widths.split(",").map(Number)) {
      await page.setViewport({ width, height: 900 });
      await page.goto(url, { waitUntil: "load" });
      await page.evaluate(() => document.querySelectorAll("details").forEach(d => { d.open = true; }));
      await page.evaluate(axeSource);
      const result = await page.evaluate(async (tags) => {
        const r = await axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] });
        return r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help,
                                        nodes: v.nodes.map(n => n.target.join(" ")) }));
      }, TAGS);
      const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
      const focus = [];
      for (let i = 0; i < TABS; i++) {
        await page.keyboard.press("Tab");
        focus.push(await page.evaluate(focused));
      }
      console.log(JSON.stringify({ url, width, scrollWidth, violations: result, focus }));
    }
  }
} finally {
  await browser.close();
}
