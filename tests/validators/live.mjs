// Drives one page in the system Chromium for the `avtal serve` tests and bench, by commands on stdin.
// Usage: node live.mjs CHROMIUM URL [WIDTH]; prints {"ready": true} once the page has loaded, then reads one
// JSON command per line and prints one JSON line per answer:
//   {"op": "wait", "js": EXPR, "timeout": MS}   prints {"waiting": true} at once, then, when EXPR is true in the
//                                               page, {"seen": T, "painted": T2} (Date.now() when seen, and after
//                                               the next frame was painted), or {"timeout": true}
//   {"op": "eval", "js": EXPR}                  {"value": …}
//   {"op": "press", "key": KEY}                 {"pressed": KEY}
//   {"op": "axe"}                               {"violations": [{id, impact, help, nodes}]} (WCAG 2.x A/AA)
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { createRequire } from "node:module";
import puppeteer from "puppeteer-core";

const require = createRequire(import.meta.url);
const [chromium, url, width = "1280"] = process.argv.slice(2);
const TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];
const say = (data) => process.stdout.write(JSON.stringify(data) + "\n");

const browser = await puppeteer.launch({
  executablePath: chromium,
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage();
  await page.setViewport({ width: Number(width), height: 900 });
  await page.goto(url, { waitUntil: "load" });
  say({ ready: true });
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    if (!line.trim()) continue;
    const command = JSON.parse(line);
    try {
      if (command.op === "wait") {
        say({ waiting: true });
        try {
          const seen = await page.waitForFunction(`(${command.js}) && Date.now()`,
                                                  { polling: "raf", timeout: command.timeout ?? 10000 });
          const painted = await page.evaluate(() => new Promise((done) =>
            requestAnimationFrame(() => setTimeout(() => done(Date.now()), 0))));
          say({ seen: await seen.jsonValue(), painted });
        } catch (error) {
          if (error.name !== "TimeoutError") throw error;
          say({ timeout: true });
        }
      } else if (command.op === "eval") {
        say({ value: await page.evaluate(command.js) });
      } else if (command.op === "press") {
        await page.keyboard.press(command.key);
        say({ pressed: command.key });
      } else if (command.op === "axe") {
        await page.evaluate(readFileSync(require.resolve("axe-core/axe.min.js"), "utf8"));
        const violations = await page.evaluate(async (tags) => {
          const r = await axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] });
          return r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help,
                                          nodes: v.nodes.map(n => n.target.join(" ")) }));
        }, TAGS);
        say({ violations });
      } else {
        say({ error: `unknown op ${command.op}` });
      }
    } catch (error) {
      say({ error: String(error) });
    }
  }
} finally {
  await browser.close();
}
