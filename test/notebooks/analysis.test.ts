/**
 * notebooks/analysis.ipynb executed headless (real Jupyter, tslab, nbconvert): the replay and the
 * three queries run together on a file stream of the test's own, then the charts. Expected values
 * come from the dataset's parquet files and from a plain polars group-by of what the queries read,
 * never from constants. The last section runs the same queries in batch (`read(...)`).
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import pl from "nodejs-polars";
import { PLOTLY_MIME, type PlotlyFigure } from "../../lib/report";
import { readParquetOutput } from "../../lib/stream/sinks/read";
import { cellText, jupyterSh, outputsOfType, parquetRowCounts, readNotebook, ROOT, runNotebook, testDataset, type Notebook } from "../helpers/notebooks";

const NOTEBOOK = path.join(ROOT, "notebooks", "analysis.ipynb");
const WINDOW_MS = 15_000;
const text = (v: unknown): string => (Array.isArray(v) ? v.join("") : String(v ?? ""));

describe("analysis notebook, headless: queries while the replay runs, then the charts", function () {
  this.timeout(900_000);
  const data = testDataset();
  let dir: string;
  let nb: Notebook;
  let figures: { fig: PlotlyFigure; html: string; plain: string }[];
  let live: { panel: string; panelHtml: string; chart: { fig: PlotlyFigure; html: string } };
  let expected: { locations: number; accelerations: number };

  before(async function () {
    if (data === undefined) {
      console.log("    (skipped: no dataset; expected ../shared/data/bdd or data/bdd — run `npx streamlab generate`)");
      this.skip();
    }
    const setup = await jupyterSh(["setup"]);
    assert.equal(setup.code, 0, `scripts/jupyter.sh setup failed:\n${setup.stderr}`);
    expected = parquetRowCounts(data!);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-analysis-"));
    const r = await runNotebook(NOTEBOOK, path.join(dir, "executed"), { STREAMLAB_DATA: data!, STREAMLAB_SPEED: "20", STREAMLAB_OUT: path.join(dir, "stream") });
    assert.equal(r.code, 0, `the notebook failed:\n${r.stdout}\n${r.stderr}`);
    nb = readNotebook(r.executed);
    const charts = outputsOfType(nb, "display_data")
      .filter((o) => o.data?.[PLOTLY_MIME] !== undefined)
      .map((o) => ({ fig: o.data![PLOTLY_MIME] as unknown as PlotlyFigure, html: text(o.data!["text/html"]), plain: text(o.data!["text/plain"]) }));
    const isLive = (f: { plain: string }) => /\(live\)/.test(f.plain);
    figures = charts.filter((f) => !isLive(f));
    const panel = outputsOfType(nb, "display_data").find((o) => /^Mean speed per ride \(live\)/.test(text(o.data?.["text/plain"])));
    assert.ok(panel, "no live view of the windowed query");
    live = { panel: text(panel.data!["text/plain"]), panelHtml: text(panel.data!["text/html"]), chart: charts.find(isLive)! };
  });

  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const cellWith = (source: RegExp): string => {
    const cell = nb.cells.find((c) => c.cell_type === "code" && source.test(text(c.source)));
    assert.ok(cell, `no code cell matches ${source}`);
    return cellText(cell);
  };

  it("replays every row of the dataset while the queries read them all", () => {
    const summary = cellWith(/Promise\.all\(\[running/);
    assert.match(summary, /Replay of .* completed in/);
    assert.match(summary, new RegExp(`locations\\s+${expected.locations.toLocaleString("en-US")} rows`));
    assert.match(summary, new RegExp(`accelerations\\s+${expected.accelerations.toLocaleString("en-US")} rows`));
    const loc = expected.locations.toLocaleString("en-US");
    const acc = expected.accelerations.toLocaleString("en-US");
    assert.match(summary, new RegExp(`simple\\s+\\d+\\s+locations=${loc} accelerations=${acc}\\s+${(expected.locations + expected.accelerations).toLocaleString("en-US")}\\s+0`));
    assert.match(summary, new RegExp(`windowed\\s+\\d+\\s+locations=${loc}\\s`));
    assert.match(summary, new RegExp(`joined\\s+\\d+\\s+locations=${loc} accelerations=${acc}\\s`));
  });

  it("shows the progress records of all four streaming queries, and the final flush of the windowed one", () => {
    const table = cellWith(/queryProgress\.frame\(10\)/);
    for (const q of ["windowed", "joined"]) assert.match(table, new RegExp(`│ ${q}\\s`), `no ${q} row in\n${table}`);
    assert.match(table, /simple-/);
    const last = JSON.parse(cellWith(/lastProgress/)) as { watermark: string; stateRows: number; numInputRows: Record<string, number> };
    assert.equal(last.watermark, "+infinity"); // the end of the input made every window final
    assert.equal(last.stateRows, 0);
    assert.deepEqual(last.numInputRows, { locations: 0 });
  });

  it("the live view of the windowed query ends with its final state: every window's latest mean speed, as a table and a chart", () => {
    assert.match(live.panel, /^Mean speed per ride \(live\): ended after (\d+) batches\n/);
    assert.match(live.panel, /watermark \+infinity/);
    assert.match(live.panel, /state rows 0/);
    assert.match(live.panelHtml, /<table border="1" class="dataframe"><thead><tr><th>ride_id<\/th><th>window_start<\/th>/);
    // The chart shows what the query wrote: the latest row of every window.
    const out = readParquetOutput(path.join(dir, "stream/output/windowed"), { latestBy: ["ride_id", "window_start"] });
    const points = live.chart.fig.data.reduce((n, t) => n + t.x.length, 0);
    assert.equal(points, out.height);
    assert.equal(live.chart.fig.data.length, new Set(out.getColumn("ride_id").toArray()).size);
    const shown = live.chart.fig.data.flatMap((t) => t.y as number[]).sort((a, b) => a - b);
    const written = (out.getColumn("mean_speed").toArray() as number[]).sort((a, b) => a - b);
    assert.deepEqual(shown, written);
    assert.match(live.panel, new RegExp(`shape: \\(${out.height}, 6\\)`));
  });

  it("displays three charts, each with plotly's MIME type and an HTML fallback; plotly.js inlined once, by the live chart drawn first", () => {
    assert.equal(figures.length, 3);
    const inlined = [live.chart, ...figures].map((f) => (f.html.match(/plotly\.js v\d+\.\d+\.\d+/g) ?? []).length);
    assert.deepEqual(inlined, [1, 0, 0, 0]);
    for (const f of figures) assert.match(f.html, /Plotly\.newPlot/);
    assert.doesNotMatch(figures.map((f) => f.html).join(""), /<script[^>]+src=/);
  });

  it("charts the mean speed of every ride per 15 s window, equal to a batch group-by of the rows the queries read", () => {
    const locations = readParquetOutput(path.join(dir, "stream/output/simple/locations"));
    assert.equal(locations.height, expected.locations);
    const batch = locations
      .filter(pl.col("speed").isNotNull())
      .withColumns(pl.col("timestamp").cast(pl.Datetime("ms")).cast(pl.Int64).alias("ms"))
      .withColumns(pl.col("ms").sub(pl.col("ms").modulo(WINDOW_MS)).alias("start_ms"))
      .groupBy(["ride_id", "start_ms"])
      .agg(pl.col("speed").mean().alias("mean"));
    const want = new Map<string, number>();
    for (const r of batch.toRecords() as { ride_id: string; start_ms: number; mean: number }[]) want.set(`${r.ride_id.slice(0, 8)} ${new Date(Number(r.start_ms)).toISOString()}`, r.mean);
    const speed = figures[0].fig;
    assert.equal(speed.data.length, new Set(locations.getColumn("ride_id").toArray()).size);
    const got = new Map<string, number>();
    for (const trace of speed.data) trace.x.forEach((x, i) => got.set(`${trace.name} ${new Date(`${String(x).replace(" ", "T")}Z`).toISOString()}`, trace.y[i] as number));
    assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort());
    for (const [k, v] of got) assert.ok(Math.abs(v - want.get(k)!) < 1e-9, `${k}: chart ${v}, group-by ${want.get(k)}`);
  });

  it("charts every matched join row, and every GPS fix on the map", () => {
    const joined = readParquetOutput(path.join(dir, "stream/output/stream-joined"));
    const matched = joined.filter(pl.col("speed").isNotNull().and(pl.col("x").isNotNull())).height;
    assert.ok(matched > 0);
    assert.equal(figures[1].fig.data.reduce((n, t) => n + t.x.length, 0), matched);
    assert.equal(figures[2].fig.data.reduce((n, t) => n + t.x.length, 0), expected.locations);
    assert.match(figures[2].plain, /^GPS tracks: \d+ traces/);
  });

  it("shows the windowed query's PySpark program next to its TypeScript: watermark, window, aggregations, update mode, the file stream it reads", () => {
    const program = cellWith(/toSpark\(\)/);
    assert.match(program, /^"""streamlab query "windowed", translated to PySpark Structured Streaming/);
    assert.match(program, /\.parquet\(".*stream\/input\/locations"\)/);
    assert.match(program, /locations = locations\.withWatermark\("timestamp", "30 seconds"\)/);
    assert.match(program, /\.groupBy\(F\.window\("timestamp", "15 seconds"\), "ride_id"\)/);
    assert.match(program, /\.agg\(F\.avg\("speed"\)\.alias\("mean_speed"\), F\.count\("speed"\)\.alias\("count"\)\)/);
    assert.match(program, /\.outputMode\("update"\)/);
    assert.match(program, /\.foreachBatch\(write_batch\)/);
  });

  it("shows a resume: a run interrupted after 25 releases, resumed, ends with the uninterrupted run's outputs", () => {
    const shown = cellWith(/resume: "auto"/);
    const first = /first run: aborted after (\d+) releases/.exec(shown);
    assert.ok(first, `no interrupted first run in\n${shown}`);
    assert.match(shown, new RegExp(`second run: completed, resumed after ${first[1]} releases`));
    for (const k of ["windowed", "joined", "locations"]) assert.match(shown, new RegExp(`^${k}\\s+(\\d+) rows after the resume, \\1 uninterrupted$`, "m"), `${k} in\n${shown}`);
    assert.doesNotMatch(shown, /MISMATCH/);
  });

  it("runs the windowed and joined queries again in batch (read(...).collect()): equal to the streams' final results", () => {
    const shown = cellWith(/windowedSpeeds\(inputOf/);
    const w = /^windowed: batch (\d+) windows, stream (\d+) windows, equal: (\w+)$/m.exec(shown);
    const j = /^joined: +batch (\d+) rows, stream (\d+) rows, equal: (\w+)$/m.exec(shown);
    assert.ok(w && j, shown);
    const windows = readParquetOutput(path.join(dir, "stream/output/windowed"), { latestBy: ["ride_id", "window_start"] });
    assert.deepEqual([Number(w[1]), Number(w[2]), w[3]], [windows.height, windows.height, "true"]);
    const joined = readParquetOutput(path.join(dir, "stream/output/stream-joined"));
    assert.deepEqual([Number(j[1]), Number(j[2]), j[3]], [joined.height, joined.height, "true"]);
  });
});
