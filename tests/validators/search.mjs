// Uses a page's search box as a reader does, in the system Chromium: types each query, reads the
// count and the hits in order, presses the "Visa alla" button when there is one, and notes where the
// focus went. Usage: node search.mjs CHROMIUM WIDTH URL QUERY... ; prints one JSON object per query:
// {query, count, status, hrefs, button, all, focused, scrollWidth}
import puppeteer from "puppeteer-core";

const [chromium, width, url, ...queries] = process.argv.slice(2);
const browser = await puppeteer.launch({
  executablePath: chromium,
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"],
});
const hrefs = () => [...document.querySelectorAll("#sokresultat ol a")].map(a => a.getAttribute("href"));
try {
  const page = await browser.newPage();
  await page.setViewport({ width: Number(width), height: 900 });
  for (const query of queries) {
    await page.goto(url, { waitUntil: "load" });
    await page.type("#sok", query);
    const seen = await page.evaluate((hrefs) => ({
      count: document.querySelector("#sokresultat .count")?.textContent ?? null,
      status: document.getElementById("sokstatus")?.textContent ?? null,
      hrefs: eval(hrefs)(),
      button: document.querySelector("#sokresultat button")?.textContent ?? null,
    }), hrefs.toString());
    let all = seen.hrefs, focused = null;
    if (seen.button !== null) {
      await page.click("#sokresultat button");
      [all, focused] = await page.evaluate((hrefs) => [eval(hrefs)(), document.activeElement.getAttribute("href")],
                                           hrefs.toString());
    }
    const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
    console.log(JSON.stringify({ query, ...seen, all, focused, scrollWidth }));
  }
} finally {
  await browser.close();
}
