/**
 * The charts in a real browser (headless Chromium, playwright-core), on a closed network: the
 * executed analysis notebook exported with `jupyter nbconvert --to html`, and the report of the main
 * job. Each chart must have drawn every trace and every point of its data, with plotly.js from the
 * page itself. Screenshots go to results/browser/ for a human to look at.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import pl from "nodejs-polars";
import type { Page } from "playwright-core";
import { runProcess } from "../helpers/process";
import { jupyterSh, parquetRowCounts, readNotebook, runNotebook, outputsOfType } from "../helpers/notebooks";
import { chartsOnPage, launchBrowser, ROOT, type Browser, type ChartsOnPage } from "./chromium";
import { startLab } from "./lab";

const DATA = path.join(ROOT, "data", "bdd");
const SHOTS = path.join(ROOT, "results", "browser");

/** Runs `cmd args` in the repository root; `output` is its stdout then its stderr. */
async function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number; output: string }> {
  const r = await runProcess(cmd, args, { env });
  return { code: r.code, output: r.stdout + r.stderr };
}

/** Rides of the dataset, counted from its parquet files. */
function rideCount(): number {
  const dir = path.join(DATA, "locations");
  const ids = new Set<string>();
  for (const p of fs.readdirSync(dir)) {
    for (const f of fs.readdirSync(path.join(dir, p)).filter((n) => n.endsWith(".parquet"))) {
      for (const id of pl.readParquet(path.join(dir, p, f)).getColumn("ride_id").toArray() as string[]) ids.add(id);
    }
  }
  return ids.size;
}

async function open(browser: Browser, file: string): Promise<Page> {
  const page = await browser.context.newPage();
  await page.goto(`file://${file}`, { waitUntil: "load", timeout: 180_000 });
  return page;
}

async function screenshots(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  const charts = await page.$$(".js-plotly-plot");
  for (const [i, chart] of charts.entries()) await chart.screenshot({ path: path.join(SHOTS, `${name}-chart-${i + 1}.png`) });
}

function assertDrawn(seen: ChartsOnPage, rides: number, count = 3): void {
  assert.equal(seen.plotly, true, "window.Plotly is not defined: plotly.js was not inlined");
  assert.deepEqual(seen.failures, []);
  assert.equal(seen.charts.length, count, `expected ${count} charts, saw ${JSON.stringify(seen.charts)}`);
  for (const [i, c] of seen.charts.entries()) {
    assert.equal(c.traces, rides, `chart ${i + 1}: one trace per ride`);
    assert.equal(c.drawn, c.traces, `chart ${i + 1}: ${c.drawn} of ${c.traces} traces drawn`);
    assert.ok(c.dataPoints > 0, `chart ${i + 1} has no points`);
    assert.equal(c.points, c.dataPoints, `chart ${i + 1}: ${c.points} of ${c.dataPoints} points drawn`);
  }
}

describe("charts in headless Chromium (offline)", function () {
  this.timeout(900_000);
  let dir: string;
  let browser: Browser;
  let rides: number;
  let executed: string | undefined;

  before(async function () {
    if (!fs.existsSync(path.join(DATA, "locations"))) {
      console.log("    (skipped: no data/bdd — run `npx streamlab generate`)");
      this.skip();
    }
    rides = rideCount();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-browser-"));
    const setup = await jupyterSh(["setup"]); // also rebuilds dist/ when lib/ changed (the CLI and notebooks use it)
    assert.equal(setup.code, 0, `scripts/jupyter.sh setup failed:\n${setup.stderr}`);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  // The live chart of the windowed query (its last state) comes first, then the three charts.
  it("the analysis notebook's HTML export draws the last state of its live view and its three charts", async () => {
    const r = await runNotebook(path.join(ROOT, "notebooks", "analysis.ipynb"), path.join(dir, "nb"), { STREAMLAB_DATA: DATA, STREAMLAB_SPEED: "max", STREAMLAB_OUT: path.join(dir, "nb-stream") });
    assert.equal(r.code, 0, `the notebook failed:\n${r.stdout}\n${r.stderr}`);
    executed = r.executed;
    const jupyter = /^jupyter:\s+(\S+)$/m.exec((await jupyterSh(["env"])).stdout)?.[1];
    assert.ok(jupyter, "scripts/jupyter.sh env printed no jupyter path");
    const exported = await run(jupyter, ["nbconvert", "--to", "html", r.executed, "--output-dir", path.join(dir, "html")]);
    assert.equal(exported.code, 0, exported.output);

    const page = await open(browser, path.join(dir, "html", "analysis.html"));
    const seen = await chartsOnPage(page, 4);
    await screenshots(page, "analysis");
    assertDrawn(seen, rides, 4);
    // The live view's last state: the query ended, its final table, and every returned frame as an HTML table.
    const live = await page.$eval(".streamlab-live", (el) => ({ text: el.textContent ?? "", rows: el.querySelectorAll("table.dataframe tbody tr").length }));
    assert.match(live.text, /Mean speed per ride \(live\)\s*ended after \d+ batches/);
    assert.ok(live.rows > 0, "the live view's final table has no rows");
    assert.ok((await page.$$("table.dataframe")).length >= 3, "the live table, the progress records and the windows' head as HTML tables");
    // The browser drew the same data the kernel displayed.
    const displayed = outputsOfType(readNotebook(r.executed), "display_data").filter((o) => o.data?.["application/vnd.plotly.v1+json"]);
    assert.deepEqual(seen.charts.map((c) => c.dataPoints), displayed.map((o) => (o.data!["application/vnd.plotly.v1+json"] as unknown as { data: { x: unknown[] }[] }).data.reduce((n, t) => n + t.x.length, 0)));
    // nbconvert's page asks for require.js and MathJax (aborted here); nothing asked for plotly.
    assert.deepEqual(browser.network.filter((u) => /plot\.?ly/i.test(u)), []);
  });

  it("JupyterLab draws the executed notebook's charts (the live one's last state first) with the plotly extension", async function () {
    if (executed === undefined) this.skip(); // the export test above failed to execute the notebook
    const lab = await startLab(path.dirname(executed), "analysis.ipynb");
    try {
      const page = await browser.context.newPage();
      const origin = new URL(lab.url).origin;
      // This page may talk to the local JupyterLab; anything else still goes to the abort-and-record route.
      await page.route("**/*", (route) => (route.request().url().startsWith(origin) ? route.continue() : route.fallback()));
      await page.goto(lab.url, { timeout: 180_000 });
      await page.waitForSelector(".jp-Notebook .jp-Cell", { timeout: 180_000 });
      const seen = await chartsOnPage(page, 4);
      const viaExtension = await page.$$eval(".js-plotly-plot", (plots) => plots.map((p) => p.classList.contains("jp-RenderedPlotly")));
      assert.deepEqual(viaExtension, [true, true, true, true], "the charts must come from application/vnd.plotly.v1+json (jupyterlab-plotly), not the HTML fallback");
      assert.equal(seen.charts.length, 4);
      for (const [i, c] of seen.charts.entries()) {
        assert.equal(c.traces, rides, `chart ${i + 1}: one trace per ride`);
        assert.equal(c.drawn, c.traces, `chart ${i + 1}: ${c.drawn} of ${c.traces} traces drawn`);
      }
      const charts = await page.$$(".js-plotly-plot");
      fs.mkdirSync(SHOTS, { recursive: true });
      for (const [i, chart] of charts.entries()) {
        await chart.scrollIntoViewIfNeeded();
        await chart.screenshot({ path: path.join(SHOTS, `jupyterlab-chart-${i + 1}.png`) });
      }
    } finally {
      await lab.stop();
    }
  });

  it("the main job's report draws its three charts without any network request", async () => {
    const report = path.join(dir, "report.html");
    browser.network.length = 0;
    const main = await run(process.execPath, [path.join(ROOT, "bin", "streamlab.js"), "main", "--data", DATA, "--out", path.join(dir, "main-stream"), "--report", report]);
    assert.equal(main.code, 0, main.output);
    assert.match(main.output, new RegExp(`Report: ${report.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
    // The results summary: every row replayed and read by the queries, none dropped at speed max.
    const rows = parquetRowCounts(DATA);
    const n = (x: number): string => x.toLocaleString("en-US");
    assert.match(main.output, new RegExp(`^\\s+simple\\s+\\d+\\s+locations=${n(rows.locations)} accelerations=${n(rows.accelerations)}\\s+${n(rows.locations + rows.accelerations)}\\s+0\\s`, "m"));
    assert.match(main.output, /^\s+windowed\s+\d+\s+locations=\S+\s+\S+\s+0\s/m);
    assert.match(main.output, /^\s+joined\s+\d+\s+locations=\S+ accelerations=\S+\s+\S+\s+0\s/m);

    const page = await open(browser, report);
    const seen = await chartsOnPage(page, 3);
    await screenshots(page, "report");
    assertDrawn(seen, rides);
    assert.deepEqual(browser.network, []);
  });
});
