// Drives Debian's Chromium (through npm playwright-core) against a running tracker's live page and
// prints one JSON line with what it saw. Used by tests/Pester/LivePage.Tests.ps1 and
// bench/tracker/Invoke-LivePageBenchmark.ps1; it asserts nothing itself, the caller does.
//
//   node live-page.mjs --scenario deploy --base http://127.0.0.1:PORT/ --info-hash HEX --size N
//        --screenshot FILE --profile DIR [--report-query murder_key=...]
//   node live-page.mjs --scenario large --base ... --info-hash HEX --hosts 10000 --profile DIR
//   node live-page.mjs --scenario watch --base ... --seconds N --profile DIR
//
// scenario deploy: reports a seeder and three peers as peers would (real HTTP GETs on /report),
//   opens the page, moves two peers to done and one to failed while it stays open, checks the
//   page followed without a reload, checks a phone's width, saves a screenshot.
// scenario large: the ledger already holds HOSTS hosts; measures the page's load and one update.
// scenario watch: keeps the page open (polling) for N seconds, for the announce-rate benchmark.
// scenario poll: no browser; the page's requests at its pace (see below).
import { chromium } from "playwright-core";

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, "")] = process.argv[i + 1];
const base = args.base;
// The page opens on one deploy when its info-hash is the fragment, else on the newest.
const pageUrl = base + (args["info-hash"] ? "#" + args["info-hash"] : "");
const scenario = args.scenario || "deploy";
const timeout = Number(args.timeout || 60000);
const result = { scenario, ok: false, steps: [] };
const step = (name, extra = {}) => result.steps.push({ name, atMs: Math.round(performance.now()), ...extra });

function pct(bytes) {
  return Array.from(bytes, (b) => "%" + b.toString(16).padStart(2, "0").toUpperCase()).join("");
}

// What a peer sends: an announce (it is in the swarm) and a report (its stage, for the ledger) on
// the announce URL with "announce" replaced by "report".
async function report(host, fields) {
  const peerId = pct(Buffer.from(("-MW0001-" + host).padEnd(20, "x").slice(0, 20), "latin1"));
  const hash = pct(Buffer.from(args["info-hash"], "hex"));
  const extra = args["report-query"] ? "&" + args["report-query"] : "";
  const query = new URLSearchParams({ host, role: "peer", downloaded: "0", left: "0", rate: "0", ...fields });
  const left = query.get("left");
  for (const url of [
    base + "announce?info_hash=" + hash + "&peer_id=" + peerId + "&port=6881&uploaded=0&downloaded=" + query.get("downloaded") + "&left=" + left + "&compact=1&numwant=0" + extra,
    base + "report?info_hash=" + hash + "&peer_id=" + peerId + "&" + query.toString() + extra]) {
    if (fields.stage === "failed" && url.includes("/announce?")) continue; // a failed peer stops announcing
    const res = await fetch(url);
    const body = await res.text();
    if (res.status !== 200 || body.includes("failure reason")) throw new Error(`${url.split("?")[0]} for ${host} refused: ${res.status} ${body}`);
  }
}

// scenario poll: the page's requests at the page's pace without a browser (what the tracker serves
// to a browser on another machine), and /metrics every metrics-ms.
if (scenario === "poll") {
  const hash = args["info-hash"];
  const until = performance.now() + Number(args.seconds) * 1000;
  let since = 0, polls = 0, scrapes = 0, hosts = 0;
  const scraper = args["metrics-ms"] ? setInterval(() => { fetch(base + "metrics").then((r) => r.text()).then(() => scrapes++, () => {}); }, Number(args["metrics-ms"])) : null;
  while (performance.now() < until) {
    const started = performance.now();
    await Promise.all([fetch(base + "swarms").then((r) => r.json()), fetch(base + "deploy").then((r) => r.json())]);
    const detail = await (await fetch(base + "deploy?info_hash=" + hash + "&since=" + since + "&limit=10000")).json();
    since = detail.next; hosts += detail.entries.length; polls++;
    await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (performance.now() - started))));
  }
  if (scraper) clearInterval(scraper);
  console.log(JSON.stringify({ scenario, ok: true, polls, hosts, metricsScrapes: scrapes }));
  process.exit(0);
}

// A fresh profile each run (--user-data-dir, which playwright takes as the persistent context's folder).
const context = await chromium.launchPersistentContext(args.profile, {
  executablePath: args.chromium || "/usr/bin/chromium",
  headless: true,
  viewport: { width: 1280, height: 900 },
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});
try {
  const page = context.pages()[0] || await context.newPage();
  page.setDefaultTimeout(timeout);
  const consoleErrors = [];
  page.on("console", (m) => { if (m.type() === "error") consoleErrors.push(m.text()); });
  page.on("pageerror", (e) => consoleErrors.push(String(e)));
  // Nothing may be fetched from anywhere but the tracker.
  const foreign = [];
  page.on("request", (r) => { if (!r.url().startsWith(base)) foreign.push(r.url()); });
  const text = (selector) => page.locator(selector).first().textContent();
  const stageCount = async (stage) => Number((await text(`#stages .n[data-stage="${stage}"]`)).replace(/,/g, ""));

  if (scenario === "deploy") {
    const size = Number(args.size);
    await report("seed1", { role: "seeder", stage: "seeding", downloaded: String(size), left: "0" });
    for (const host of ["web1", "web2", "web3"]) await report(host, { stage: "starting", left: String(size) });
    await page.goto(pageUrl);
    await page.evaluate(() => { window.__sameDocument = true; });
    await page.waitForFunction(() => document.querySelector("#c-hosts") && document.querySelector("#c-hosts").textContent === "4");
    step("page shows 4 hosts");
    // A few seconds of downloading at changing rates, so the rate graph has a history.
    for (let tick = 1; tick <= 5; tick++) {
      for (const [i, host] of ["web1", "web2", "web3"].entries()) {
        const done = Math.min(size, Math.floor(size * tick * (3 - i) / 18));
        await report(host, { stage: "downloading", downloaded: String(done), left: String(size - done), rate: String(4000000 * (3 - i) + 1500000 * tick) });
      }
      await page.waitForTimeout(1100);
    }
    await page.waitForFunction(() => Number(document.querySelector('#stages .n[data-stage="downloading"]').textContent) === 3);
    step("page shows 3 downloading");
    result.rateShown = await text("#c-rate");
    result.etaShown = await text("#c-eta");
    // web3 fails and web1 finishes while web2 is still at it: the screenshot shows every part.
    await report("web3", { stage: "failed", downloaded: String(Math.floor(size / 3)), left: String(size - Math.floor(size / 3)), error_id: "DiskFull", message: "No space left on /srv/www: free 2 GB and run the deploy again." });
    await report("web1", { stage: "extracting", downloaded: String(size), left: "0" });
    await report("web1", { stage: "done", downloaded: String(size), left: "0" });
    await page.waitForSelector('#failures tr[data-host="web3"]');
    result.failureRow = (await page.locator('#failures tr[data-host="web3"]').innerText()).replace(/\s+/g, " ").trim();
    step("page shows the failure");
    await page.waitForFunction(() => Number(document.querySelector('#stages .n[data-stage="done"]').textContent) === 1);
    result.slowestHost = await page.locator("#slowest tbody tr").first().getAttribute("data-host");
    await page.screenshot({ path: args.screenshot, fullPage: true });
    step("screenshot saved");
    await report("web2", { stage: "extracting", downloaded: String(size), left: "0" });
    await report("web2", { stage: "done", downloaded: String(size), left: "0" });
    await page.waitForFunction(() => Number(document.querySelector('#stages .n[data-stage="done"]').textContent) === 2);
    step("page shows 2 done");
    result.hostRows = await page.locator("#hosts tbody tr").count();
    result.doneCount = await stageCount("done");
    result.failedCount = await stageCount("failed");
    result.seedingCount = await stageCount("seeding");
    result.succeeded = await text("#c-ok");
    result.torrentRow = (await page.locator("#torrents tbody tr").first().innerText()).replace(/\s+/g, " ").trim();
    result.sameDocument = await page.evaluate(() => window.__sameDocument === true);
    // A phone's width: the page itself never scrolls sideways (wide tables scroll in their box).
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(300);
    result.phoneOverflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    result.phoneStagesVisible = await page.locator("#stages").isVisible();
    if (args["phone-screenshot"]) await page.screenshot({ path: args["phone-screenshot"], fullPage: false });
  } else if (scenario === "large") {
    const hosts = Number(args.hosts);
    const opened = performance.now();
    await page.goto(pageUrl);
    await page.waitForFunction((n) => window.__murder && window.__murder.hosts >= n && document.querySelector("#c-hosts").textContent.replace(/,/g, "") === String(n), hosts, { polling: 20 });
    result.loadMs = Math.round(performance.now() - opened);
    result.firstPollMs = Math.round(await page.evaluate(() => window.__murder.lastPollMs));
    step("page shows every host");
    if (args.screenshot) await page.screenshot({ path: args.screenshot, fullPage: false });
    // One update: a host fails; how long until the page shows it (one poll interval at most, plus the poll).
    const victim = args.victim;
    const sent = performance.now();
    await report(victim, { stage: "failed", left: "1", error_id: "LargeLedgerProbe", message: "probe failure of the 10,000-host test" });
    await page.waitForSelector(`#failures tr[data-host="${victim}"]`, { timeout });
    result.updateMs = Math.round(performance.now() - sent);
    result.updatePollMs = Math.round(await page.evaluate(() => window.__murder.lastPollMs));
    result.updateRenderMs = Math.round(await page.evaluate(() => window.__murder.lastRenderMs));
    step("page shows the update");
    // Responsive: a click on "next" in the host list answers at once.
    const clicked = performance.now();
    await page.click("#h-pager button:last-child");
    await page.waitForFunction(() => /page 2 of/.test(document.querySelector("#h-pager").textContent));
    result.pageClickMs = Math.round(performance.now() - clicked);
    result.tableRows = await page.evaluate(() => document.querySelectorAll("tr").length);
    result.domNodes = await page.evaluate(() => document.getElementsByTagName("*").length);
  } else if (scenario === "watch") {
    // Also scrape /metrics as Prometheus would, when asked (every metrics-ms milliseconds).
    let scrapes = 0;
    const scraper = args["metrics-ms"] ? setInterval(() => { fetch(base + "metrics").then((r) => r.text()).then(() => scrapes++, () => {}); }, Number(args["metrics-ms"])) : null;
    await page.goto(pageUrl);
    await page.waitForFunction(() => window.__murder && window.__murder.polls > 0);
    const start = await page.evaluate(() => window.__murder.polls);
    await page.waitForTimeout(Number(args.seconds) * 1000);
    result.polls = (await page.evaluate(() => window.__murder.polls)) - start;
    result.pollErrors = await page.evaluate(() => window.__murder.errors);
    result.lastPollMs = Math.round(await page.evaluate(() => window.__murder.lastPollMs));
    result.hosts = await page.evaluate(() => window.__murder.hosts);
    result.metricsScrapes = scrapes;
    if (scraper) clearInterval(scraper);
  }

  result.consoleErrors = consoleErrors;
  result.foreignRequests = foreign;
  result.ok = true;
} catch (error) {
  result.error = String(error && error.stack || error);
} finally {
  await context.close();
}
console.log(JSON.stringify(result));
