// Runs axe-core (WCAG 2.0/2.1/2.2 A and AA) on each page at each viewport width in the
// system Chromium, and measures how wide each page is laid out (WCAG 1.4.10 Reflow). Every <details>
// is opened first: what a reader can unfold (the contents on a phone) must pass too.
// Usage: node axe.mjs CHROMIUM WIDTHS URL... ; prints one JSON object per line:
// {url, width, scrollWidth, violations: [{id, impact, help, nodes: [target…]}]}
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import puppeteer from "puppeteer-core";

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const [chromium, widths, ...urls] = process.argv.slice(2);
const TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];

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
      console.log(JSON.stringify({ url, width, scrollWidth, violations: result }));
    }
  }
} finally {
  await browser.close();
}
