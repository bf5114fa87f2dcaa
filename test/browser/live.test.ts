/**
 * Notebooks that feel live, checked as a person sees them: a real JupyterLab (one server for this
 * file) in headless Chromium runs notebooks/analysis.ipynb; while the replay runs, the live chart of
 * the windowed query must change between two screenshots; once the stream ends, the live view shows
 * its final table; a DataFrame a cell returns shows as an HTML table. Then the store-sales notebook,
 * executed headless (real broker), exported with nbconvert and opened offline, must draw the last
 * state of its live bar chart. Screenshots: results/browser/live-*.png.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Locator, Page } from "playwright-core";
import { simulateSales, tumblingTotals } from "../../lib/pipelines/sales";
import { deleteTopics } from "../../lib/kafka";
import { uniquePrefix } from "../helpers/kafka";
import { jupyterSh, reachable, readNotebook, runNotebook, outputsOfType } from "../helpers/notebooks";
import { runProcess } from "../helpers/process";
import { launchBrowser, ROOT, type Browser } from "./chromium";
import { startLab, type Lab } from "./lab";

const SHOTS = path.join(ROOT, "results", "browser");
const DATA = path.join(ROOT, "data", "bdd");

/** Points in the plotly chart `chart` holds now, per trace (what the next drawing will be compared with). */
async function chartData(chart: Locator): Promise<number[][]> {
  return chart.evaluate((el) => ((el as unknown as { data?: { y?: number[] }[] }).data ?? []).map((t) => [...(t.y ?? [])]));
}

async function shot(target: Page | Locator, name: string): Promise<string> {
  fs.mkdirSync(SHOTS, { recursive: true });
  const file = path.join(SHOTS, `${name}.png`);
  await target.screenshot({ path: file });
  return file;
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe("live notebooks in a real JupyterLab and in nbconvert's HTML export (headless Chromium)", function () {
  this.timeout(900_000);
  let browser: Browser;
  let lab: Lab | undefined;
  let work: string;
  let stream: string;

  before(async function () {
    if (!fs.existsSync(path.join(DATA, "locations"))) {
      console.log("    (skipped: no data/bdd — run `npx streamlab generate`)");
      this.skip();
    }
    const setup = await jupyterSh(["setup"]);
    assert.equal(setup.code, 0, `scripts/jupyter.sh setup failed:\n${setup.stderr}`);
    // Under the project (git-ignored results/), so the kernels resolve "streamlab" from node_modules.
    work = fs.mkdtempSync(path.join(ROOT, "results", "browser-live-"));
    stream = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-live-"));
    fs.copyFileSync(path.join(ROOT, "notebooks", "analysis.ipynb"), path.join(work, "analysis.ipynb"));
    browser = await launchBrowser();
  });

  after(async () => {
    await lab?.stop();
    await browser?.close();
    for (const d of [work, stream]) if (d) fs.rmSync(d, { recursive: true, force: true });
  });

  it("runs the analysis notebook: the live chart changes while the replay runs, then the final table and the returned frames as HTML tables", async () => {
    // Speed 4: the bundled sample's two minutes take half a minute, time for two screenshots.
    lab = await startLab(work, "analysis.ipynb", { STREAMLAB_DATA: DATA, STREAMLAB_SPEED: "4", STREAMLAB_OUT: stream, STREAMLAB_TIME_LIMIT: "5 minutes" });
    const page = await browser.context.newPage();
    await page.setViewportSize({ width: 1280, height: 1900 }); // the whole live view (panel and chart) on screen
    const origin = new URL(lab.url).origin;
    await page.route("**/*", (route) => (route.request().url().startsWith(origin) ? route.continue() : route.fallback()));
    await page.goto(lab.url, { timeout: 180_000 });
    await page.waitForSelector(".jp-Notebook .jp-Cell", { timeout: 180_000 });
    // Run once the notebook's kernel (tslab, from its metadata) is up; earlier, JupyterLab asks which kernel to start.
    await page.getByText("TypeScript | Idle").waitFor({ timeout: 180_000 });
    await page.locator(".lm-MenuBar-itemLabel", { hasText: /^Run$/ }).click();
    await page.locator(".lm-Menu-itemLabel", { hasText: /^Run All Cells$/ }).click();

    // The cell that replays and queries: its live view (a panel, then the chart) fills in as micro-batches land.
    const cell = page.locator(".jp-Notebook .jp-Cell").filter({ hasText: "display(queries.queries.windowed[0]" });
    const panel = cell.locator(".streamlab-live");
    const chart = cell.locator(".js-plotly-plot").first();
    const first = await until("the live chart's first points", 240_000, async () => {
      const data = await chartData(chart);
      return data.flat().length > 0 ? data : undefined;
    }).catch(async (e: unknown) => {
      await shot(page, "live-failure");
      throw e;
    });
    const firstStatus = await panel.innerText();
    await shot(cell.locator(".jp-Cell-outputArea"), "live-1");
    const second = await until("the live chart to change", 120_000, async () => {
      const data = await chartData(chart);
      return JSON.stringify(data) !== JSON.stringify(first) ? data : undefined;
    });
    const secondStatus = await panel.innerText();
    await shot(cell.locator(".jp-Cell-outputArea"), "live-2");
    assert.match(firstStatus, /running/, `the first screenshot was not taken while the query ran:\n${firstStatus}`);
    assert.match(secondStatus, /running/, `the second screenshot was not taken while the query ran:\n${secondStatus}`);
    assert.ok(second.flat().length >= first.flat().length, "the live chart lost points");

    // The stream ends: the view keeps its final state, a table of every window's latest value.
    const ended = await until("the live view's final state", 300_000, async () => {
      const text = await panel.innerText();
      return /ended after \d+ batches/.test(text) ? text : undefined;
    });
    const shape = /shape: \((\d+), 6\)/.exec(ended);
    assert.ok(shape, `no final table in the live view:\n${ended}`);
    assert.ok((await panel.locator("table.dataframe tbody tr").count()) > 0);
    const finalPoints = (await chartData(chart)).flat().length;
    assert.equal(finalPoints, Number(shape[1]), "the final chart draws every row of the final table");
    await shot(cell.locator(".jp-Cell-outputArea"), "live-view");

    // A cell that returns a DataFrame shows an HTML table with the dtypes under the column names.
    const returned = page.locator(".jp-Notebook .jp-Cell").filter({ hasText: "queryProgress.frame(10)" }).locator(".jp-OutputArea-output table.dataframe");
    await returned.waitFor({ timeout: 120_000 });
    const head = await returned.locator("thead tr").nth(1).innerText();
    assert.match(head, /str\s+i64\s+str\s+i64\s+i64\s+str\s+i64\s+i64/);
    assert.equal(await returned.locator("tbody tr").count(), 10);
    await shot(page, "live-notebook");
  });

  it("nbconvert's HTML export of the store-sales notebook draws the last state of its live bar chart, offline", async function () {
    const bootstrap = (process.env.KAFKA_BOOTSTRAP_SERVERS ?? "localhost:9092").split(",")[0];
    if (!(await reachable(bootstrap))) {
      console.log(`    (skipped: no Kafka broker at ${bootstrap}; npm run kafka:start)`);
      this.skip();
    }
    const prefix = uniquePrefix("Live");
    const kafka = { bootstrap, topicPrefix: prefix };
    try {
      const r = await runNotebook(path.join(ROOT, "notebooks", "store-sales.ipynb"), path.join(stream, "nb"), { STREAMLAB_BOOTSTRAP: bootstrap, STREAMLAB_TOPIC_PREFIX: prefix, STREAMLAB_OUT: path.join(stream, "store.sqlite"), STREAMLAB_COUNT: "120", STREAMLAB_SEED: "5" });
      assert.equal(r.code, 0, `the notebook failed:\n${r.stdout}\n${r.stderr}`);
      const jupyter = /^jupyter:\s+(\S+)$/m.exec((await jupyterSh(["env"])).stdout)?.[1];
      assert.ok(jupyter);
      const exported = await runProcess(jupyter, ["nbconvert", "--to", "html", r.executed, "--output-dir", path.join(stream, "html")]);
      assert.equal(exported.code, 0, exported.stderr);
      browser.network.length = 0;
      const page = await browser.context.newPage();
      await page.goto(`file://${path.join(stream, "html", "store-sales.html")}`, { waitUntil: "load", timeout: 180_000 });
      await page.waitForFunction(`document.querySelectorAll(".js-plotly-plot .main-svg").length >= 1`, undefined, { timeout: 60_000 });
      const expected = tumblingTotals(simulateSales({ count: 120, seed: 5 }), 5);
      const bars = await page.$eval(".js-plotly-plot", (el) => {
        const t = (el as unknown as { data: { type: string; x: number[]; y: number[] }[] }).data[0];
        return { type: t.type, x: t.x, y: t.y, drawn: el.querySelectorAll("g.trace.bars path").length };
      });
      assert.equal(bars.type, "bar");
      assert.deepEqual(bars.x, expected.map((w) => w.window_start));
      assert.deepEqual(bars.y, expected.map((w) => w.total));
      assert.equal(bars.drawn, expected.length, "every window drew its bar");
      const live = await page.$eval(".streamlab-live", (el) => el.textContent ?? "");
      assert.match(live, new RegExp(`the store sold 120 sales; ${expected.length} windows published`));
      // The frames the notebook returns are HTML tables (the sales' head, the windows' head).
      assert.ok((await page.$$("table.dataframe")).length >= 3);
      await page.locator(".streamlab-live").first().screenshot({ path: path.join(SHOTS, "live-store-sales.png") });
      assert.deepEqual(browser.network.filter((u) => /plot\.?ly/i.test(u)), [], "plotly.js must come from the page, not the network");
      // The executed notebook holds one live panel, updated in place (not one output per update).
      const panels = outputsOfType(readNotebook(r.executed), "display_data").filter((o) => String(o.data?.["text/plain"] ?? "").startsWith("Store sales per 5 time units (live)"));
      assert.equal(panels.length, 1);
    } finally {
      await deleteTopics(["sales", "sales-summary"], kafka).catch(() => undefined);
    }
  });
});
