// End-to-end test of `mailcite serve` in headless Chromium (Debian's
// chromium package, driven by playwright-core). Run by tests/it/web.rs:
//
//   node tests/web/e2e.mjs BASE_URL HTML_MESSAGE_ID SCREENSHOT_DIR
//
// against a server on an archive of the sample leak plus an HTML message
// with remote images (HTML_MESSAGE_ID). Exits non-zero on the first failed
// check; prints "e2e: all checks passed" at the end.
import { chromium } from "playwright-core";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const [base, htmlId, shots] = process.argv.slice(2);
if (!base || !htmlId || !shots) {
  console.error("usage: e2e.mjs BASE_URL HTML_MESSAGE_ID SCREENSHOT_DIR");
  process.exit(2);
}
const origin = new URL(base).origin;
const executablePath = process.env.MAILCITE_CHROMIUM || "/usr/bin/chromium";
const PASSAGE = "From the start we knew this would be difficult";

let checks = 0;
function check(ok, what) {
  if (!ok) throw new Error(`check failed: ${what}`);
  checks++;
  console.log(`ok ${checks} - ${what}`);
}

const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
});
try {
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1200, height: 900 } });
  // Every request any page or frame makes.
  const requests = [];
  context.on("request", (r) => requests.push(r.url()));
  const page = await context.newPage();
  const consoleErrors = [];
  page.on("console", (m) => { if (m.type() === "error") consoleErrors.push(m.text()); });

  // A screenshot is not blank: decode it in the browser and count colours.
  async function screenshot(name) {
    const png = await page.screenshot({ fullPage: true });
    writeFileSync(join(shots, `${name}.png`), png);
    const probe = await context.newPage();
    const colours = await probe.evaluate(async (b64) => {
      const img = new Image();
      img.src = "data:image/png;base64," + b64;
      await img.decode();
      const c = document.createElement("canvas");
      c.width = img.width; c.height = img.height;
      const g = c.getContext("2d");
      g.drawImage(img, 0, 0);
      const d = g.getImageData(0, 0, c.width, c.height).data;
      const seen = new Set();
      for (let i = 0; i < d.length && seen.size < 64; i += 4 * 97) seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
      return { colours: seen.size, width: c.width, height: c.height };
    }, png.toString("base64"));
    await probe.close();
    check(png.length > 5000 && colours.colours >= 3 && colours.height >= 300,
      `screenshot ${name} is not blank (${png.length} bytes, ${colours.colours} colours, ${colours.width}x${colours.height})`);
  }

  // Search.
  await page.goto(`${base.replace(/\/?(\?.*)?$/, "")}/search`);
  await page.fill("form.search input[name=q]", "countermeasures");
  await Promise.all([page.waitForURL(/\/search\?q=countermeasures/), page.press("form.search input[name=q]", "Enter")]);
  check((await page.locator("ol.hits > li").count()) === 2, "search finds the two messages");
  check((await page.locator("ol.hits mark").first().textContent()) === "countermeasures", "the match is highlighted");
  check((await page.locator("svg.histogram a").count()) >= 1, "the month histogram is drawn");
  await screenshot("search");

  // A histogram bar narrows the search to its month.
  await Promise.all([page.waitForURL(/date%3A2009-07/), page.locator("svg.histogram a").first().click()]);
  check((await page.locator("ol.hits > li").count()) === 2, "the bar's month keeps both hits");

  // Open a hit.
  await Promise.all([
    page.waitForURL(/\/m\/[0-9a-f]{64}$/),
    page.getByRole("link", { name: "Harbour schedule for July", exact: true }).click(),
  ]);
  check((await page.locator("#subject").textContent()) === "Harbour schedule for July", "the message opens");
  check((await page.locator("#provenance").textContent()).includes("ivan-petrov.mbox"), "the provenance lists the mbox");
  await screenshot("message");
  const messageUrl = page.url();
  check(!(await page.locator("#cite-selection").isVisible()), "the cite button waits for a selection");

  // Select a passage: the script puts it into the cite form.
  await page.evaluate((passage) => {
    const pre = document.getElementById("message-text");
    const walker = document.createTreeWalker(pre, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const at = n.data.indexOf(passage);
      if (at >= 0) {
        const r = document.createRange();
        r.setStart(n, at);
        r.setEnd(n, at + passage.length);
        const s = window.getSelection();
        s.removeAllRanges();
        s.addRange(r);
        return;
      }
    }
    throw new Error("passage not in the text");
  }, PASSAGE);
  await page.locator("#cite-selection").waitFor({ state: "visible" });
  await page.click("#cite-selection");
  check((await page.inputValue("#passage")) === PASSAGE, "the selection fills the cite form");
  await page.selectOption("#article", "1");
  await Promise.all([page.waitForURL(/\/a\/1#c\d+$/), page.click("#cite-button")]);
  check((await page.locator("#citations").textContent()).includes(PASSAGE), "the article page lists the new citation");
  await screenshot("article");

  // Export.
  for (const [format, needle] of [["Markdown", PASSAGE], ["JSON", "\"schema_version\""], ["CSV", "sha256"], ["HTML", "<!DOCTYPE html>"]]) {
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: format, exact: true }).click()]);
    const text = readFileSync(await download.path(), "utf8");
    check(text.includes(needle) && text.includes("difficult"), `the ${format} export holds the citation (${download.suggestedFilename()})`);
  }

  // The message page lists the article citing it.
  await page.goto(messageUrl);
  check((await page.locator("#cited-in").textContent()).includes(PASSAGE), "the message lists its citation");

  // Thread and article list.
  await page.getByRole("link", { name: /messages$/ }).first().click();
  await page.waitForURL(/\/t\//);
  check((await page.locator("li.current").count()) === 1, "the thread marks the current message");
  await screenshot("thread");
  await page.goto(`${origin}/a`);
  check((await page.locator("#articles tbody tr").count()) >= 1, "the article list shows the article");
  await screenshot("articles");

  // An HTML message with remote images loads nothing from anywhere else.
  const before = requests.length;
  await page.goto(`${origin}/m/${htmlId}`);
  const frame = page.frameLocator("iframe.html-body");
  await frame.locator("body").waitFor();
  check((await frame.locator("body").textContent()).includes("zeppelinic newsletter"), "the sanitized HTML is shown");
  await page.waitForTimeout(1000);
  await screenshot("html-message");
  const made = requests.slice(before);
  const outside = requests.filter((u) => !u.startsWith(origin) && !u.startsWith("data:") && !u.startsWith("about:"));
  check(made.some((u) => u.endsWith(`/m/${htmlId}/html`)), "the frame was loaded from this server");
  check(outside.length === 0, `no request left the server (${outside.join(", ") || "none"})`);
  check(!requests.some((u) => u.includes("tracker.example") || u.includes("127.0.0.1:9/")), "the tracking pixels were never requested");

  // Search and reading work without JavaScript.
  const nojs = await browser.newContext({ javaScriptEnabled: false });
  const p2 = await nojs.newPage();
  await p2.goto(`${origin}/search`);
  await p2.fill("form.search input[name=q]", "auditors");
  await Promise.all([p2.waitForURL(/q=auditors/), p2.click("form.search button")]);
  check((await p2.locator("ol.hits > li").count()) >= 1, "search works without JavaScript");
  await Promise.all([p2.waitForURL(/\/m\//), p2.locator("ol.hits a.subject").first().click()]);
  check((await p2.locator("#message-text").textContent()).length > 0, "reading works without JavaScript");
  await nojs.close();

  check(consoleErrors.length === 0, `no console errors (${consoleErrors.join(" | ")})`);
  console.log(`e2e: all checks passed (${checks})`);
} finally {
  await browser.close();
}
