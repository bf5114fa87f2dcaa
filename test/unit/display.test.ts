import { strict as assert } from "node:assert";
import pl from "nodejs-polars";
import { cellText, currentRows, displayQuery, dtypeName, formatDuration, formatProgressBar, frameHtml, installRichDisplay, LiveView, richBundle, seriesHtml, show, type DisplayBundle } from "../../lib/display";
import { progressDisplay } from "../../lib/notebooks/progress";
import type { ReplayProgress } from "../../lib/replay/types";
import { isStreamlabError } from "../../lib/errors";
import { columnFigure, PLOTLY_MIME, resetPlotlyJs, type PlotlyFigure } from "../../lib/report";
import { Agg, MemoryStreamSink, MemoryStreamSource, readStream, window } from "../../lib/stream";
import { at, rideFrame } from "./stream-fixtures";

/** The cells of an HTML table, row by row (`th` and `td`), tags removed and entities decoded. */
function cells(html: string): string[][] {
  const decode = (s: string) => s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, "&");
  return [...html.matchAll(/<tr>(.*?)<\/tr>/g)].map((m) => [...m[1].matchAll(/<t[hd]>(.*?)<\/t[hd]>/g)].map((c) => decode(c[1])));
}

/** Collects what a view writes: per display id, the bundles in order. */
function collector() {
  const outputs = new Map<string, { bundles: DisplayBundle[]; updates: boolean[] }>();
  const write = (bundle: DisplayBundle, target?: { id: string; update: boolean }) => {
    const id = target?.id ?? `anon-${outputs.size}`;
    const o = outputs.get(id) ?? { bundles: [], updates: [] };
    o.bundles.push(bundle);
    o.updates.push(target?.update ?? false);
    outputs.set(id, o);
  };
  return { outputs, write };
}

describe("rich DataFrame display", () => {
  it("lays a frame out as polars does: shape, names, dtypes under them, values as polars shows them, escaped", () => {
    const frame = pl.DataFrame({
      name: pl.Series("name", ["a<b>&\"c\"", null], pl.Utf8),
      speed: pl.Series("speed", [1, 2.5], pl.Float64),
      n: pl.Series("n", [3, 4], pl.Int64),
      ok: pl.Series("ok", [true, null], pl.Bool),
      t: pl.Series("t", [at(0), at(1.5)], pl.Datetime("ms")),
    });
    const html = frameHtml(frame);
    assert.match(html, /<small>shape: \(2, 5\)<\/small>/);
    assert.doesNotMatch(html, /<b>/, "cell text must be escaped");
    assert.deepEqual(cells(html), [
      ["name", "speed", "n", "ok", "t"],
      ["str", "f64", "i64", "bool", "datetime[ms]"],
      ['"a<b>&\\"c\\""', "1.0", "3", "true", "2020-01-01 00:00:00"],
      ["null", "2.5", "4", "null", "2020-01-01 00:00:01.500"],
    ]);
  });

  it("shows the head and tail of a long frame around an ellipsis row, and of a wide one around an ellipsis column", () => {
    const long = pl.DataFrame({ i: Array.from({ length: 25 }, (_, i) => i) });
    const rows = cells(frameHtml(long, { maxRows: 6 })).slice(2).map((r) => r[0]);
    assert.deepEqual(rows, ["0.0", "1.0", "2.0", "…", "22.0", "23.0", "24.0"]);
    assert.match(frameHtml(long), /shape: \(25, 1\)/);
    const wide = pl.DataFrame(Object.fromEntries(Array.from({ length: 7 }, (_, i) => [`c${i}`, [i]])));
    assert.deepEqual(cells(frameHtml(wide, { maxColumns: 4 }))[0], ["c0", "c1", "…", "c5", "c6"]);
  });

  it("names dtypes as polars prints them, and formats float32 values by their shortest form", () => {
    assert.equal(dtypeName(pl.Datetime("ms", "UTC")), "datetime[ms, UTC]");
    assert.equal(dtypeName(pl.List(pl.Float64)), "list[f64]");
    assert.equal(dtypeName(pl.Float32), "f32");
    assert.equal(cellText(Math.fround(1.1), pl.Float32), "1.1");
    assert.equal(cellText(Number.NaN, pl.Float64), "NaN");
  });

  it("gives a Series a one-column table of shape (n,), and a DataFrame bundle polars' text as the fallback", () => {
    const s = pl.Series("speed", [1.5, null]);
    assert.match(seriesHtml(s), /shape: \(2,\)/);
    assert.deepEqual(cells(seriesHtml(s)), [["speed"], ["f64"], ["1.5"], ["null"]]);
    const frame = pl.DataFrame({ a: [1] });
    const bundle = richBundle(frame)!;
    assert.equal(bundle.data["text/plain"], frame.toString());
    assert.match(String(bundle.data["text/html"]), /<table/);
    assert.equal(richBundle(42), undefined);
    assert.deepEqual(richBundle({ [Symbol.for("Jupyter.display")]: () => ({ "text/html": "<i>x</i>" }) })?.data, { "text/html": "<i>x</i>" });
  });

  it("show() writes one bundle, and fails with TOOL_MISSING outside a notebook without a writer", () => {
    const { outputs, write } = collector();
    show(pl.DataFrame({ a: [1] }), { write });
    show("plain", { write });
    assert.equal(outputs.size, 2);
    assert.deepEqual([...outputs.values()][1].bundles[0].data, { "text/plain": "plain" });
    assert.throws(() => show(pl.DataFrame({ a: [1] })), (e: unknown) => isStreamlabError(e, "TOOL_MISSING"));
    assert.throws(() => frameHtml(pl.DataFrame({ a: [1] }), { maxRows: 0 }), (e: unknown) => isStreamlabError(e, "BAD_OPTION") && /maxRows/.test(e.message));
  });
});

describe("the last expression of a cell (tslab's exports object, as the kernel hands it to cells)", () => {
  const g = globalThis as { __tslab__?: { exports: Record<string, unknown> } };
  const jupyter = require("tslab/dist/jupyter") as { lastWriteDisplayData: unknown };
  afterEach(() => {
    delete g.__tslab__;
    jupyter.lastWriteDisplayData = null;
  });

  it("displays a DataFrame as an HTML table and leaves tslab nothing to print; other values pass through", () => {
    const sent: { data: Record<string, unknown>; transient: unknown }[] = [];
    jupyter.lastWriteDisplayData = (content: { data: Record<string, unknown>; transient: unknown }) => sent.push(content);
    assert.equal(installRichDisplay(), false, "no tslab kernel yet");
    g.__tslab__ = { exports: {} };
    assert.equal(installRichDisplay(), true);
    assert.equal(installRichDisplay(), true, "twice changes nothing");
    const cell = g.__tslab__.exports; // what the next cell is given
    cell.tsLastExpr = pl.DataFrame({ a: [1] });
    assert.equal(cell.tsLastExpr, undefined, "tslab prints a last expression only when it is not null");
    assert.equal(sent.length, 1);
    assert.match(String(sent[0].data["text/html"]), /<table border="1" class="dataframe">/);
    cell.tsLastExpr0 = 42;
    cell.speeds = pl.DataFrame({ a: [1] }); // a declaration, not the last expression
    assert.equal(cell.tsLastExpr0, 42);
    assert.equal(sent.length, 1);
  });
});

describe("live views", () => {
  it("draws once, then replaces the same outputs by display id; throttles, catches up, and inlines plotly.js in the last drawing only", async () => {
    resetPlotlyJs();
    const { outputs, write } = collector();
    let now = 0;
    const view = new LiveView({ title: "t", chart: { x: "x", y: "y" }, everyMs: 30, write, now: () => now });
    view.update({ table: pl.DataFrame({ x: [1], y: [2] }) }); // within everyMs of the first drawing: deferred
    assert.equal(view.drawCount, 1);
    now = 100;
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(view.drawCount, 2, "the timer draws the last state");
    now = 200;
    view.update({ table: pl.DataFrame({ x: [1, 2], y: [2, 3] }), progress: { batch: 1 } });
    view.finish({ status: "ended" });
    view.update({ table: pl.DataFrame({ x: [9], y: [9] }) }); // ignored
    const [panel, chart] = [...outputs.values()];
    assert.deepEqual(panel.updates, [false, true, true, true]);
    assert.match(String(panel.bundles.at(-1)!.data["text/plain"]), /^t: ended\nbatch 1\n/);
    // While it updates: HTML only (JupyterLab's plotly extension would not redraw), plotly.js sent once for the page.
    assert.deepEqual(chart.bundles.map((b) => b.data[PLOTLY_MIME] !== undefined), [false, false, false, true]);
    const points = chart.bundles.map((b) => /newPlot\(el, (\[.*?\]), \{/.exec(String(b.data["text/html"]))?.[1]).map((d) => (JSON.parse(d!) as { x: number[] }[]).map((t) => t.x));
    assert.deepEqual(points, [[], [[1]], [[1, 2]], [[1, 2]]], "an empty chart first, then the rows");
    assert.deepEqual((chart.bundles[3].data[PLOTLY_MIME] as PlotlyFigure).data.map((t) => t.x), [[1, 2]]);
    // plotly.js: for the page with the first drawing, for an export of the notebook with the last.
    const inlined = chart.bundles.map((b) => /plotly\.js v\d/.test(String(b.data["text/html"])));
    assert.deepEqual(inlined, [true, false, false, true]);
  });

  it("keeps the current table per output mode: update replaces rows by key, complete takes the last batch, append keeps the newest", () => {
    const a = pl.DataFrame({ k: ["a", "b"], v: [1, 2], batch_id: [0, 0] });
    const b = pl.DataFrame({ k: ["b", "c"], v: [5, 6], batch_id: [1, 1] });
    const upd = currentRows(currentRows(undefined, { batchId: 0, mode: "update", frame: a }, ["k"], 10), { batchId: 1, mode: "update", frame: b }, ["k"], 10);
    assert.deepEqual(upd.toRecords(), [{ k: "a", v: 1, batch_id: 0 }, { k: "b", v: 5, batch_id: 1 }, { k: "c", v: 6, batch_id: 1 }]);
    assert.deepEqual(currentRows(a, { batchId: 1, mode: "complete", frame: b }, ["k"], 10).toRecords(), b.toRecords());
    assert.deepEqual(currentRows(a, { batchId: 1, mode: "append", frame: b }, undefined, 3).getColumn("v").toArray(), [2, 5, 6]);
  });

  it("charts a frame by column names: one trace per color value, bars or lines", () => {
    const f = pl.DataFrame({ ride: ["r1", "r2", "r1"], t: [2, 1, 1], v: [3, 4, 5] });
    const fig = columnFigure(f, { x: "t", y: "v", color: "ride" });
    assert.deepEqual(fig.data.map((t) => [t.name, t.x, t.y]), [["r1", [1, 2], [5, 3]], ["r2", [1], [4]]]);
    assert.equal(columnFigure(f, { x: "t", y: "v", type: "bar" }).data[0].type, "bar");
    assert.throws(() => columnFigure(f, { x: "t", y: "nope" }), (e: unknown) => isStreamlabError(e, "BAD_OPTION") && /nope/.test(e.message));
  });

  it("display(query) shows each micro-batch's rows and progress, and the final state once the query ends", async () => {
    resetPlotlyJs();
    const src = new MemoryStreamSource("locations");
    src.push(rideFrame([{ ride_id: "r1", t: 1, speed: 10 }, { ride_id: "r2", t: 2, speed: 20 }]), 0);
    src.push(rideFrame([{ ride_id: "r1", t: 3, speed: 30 }, { ride_id: "r1", t: 40, speed: 5 }]), 3);
    src.end();
    const sink = new MemoryStreamSink();
    const query = readStream(src).withWatermark("timestamp", "5 seconds").groupBy("ride_id", window("timestamp", "10 seconds"))
      .agg({ mean_speed: Agg.mean("speed") })
      .writeStream({ mode: "update", sinks: [sink], idleSleep: "5 ms" }).start();
    const { outputs, write } = collector();
    const live = displayQuery(query, { everyMs: 0, write, stopOnInterrupt: false, chart: { x: "window_start", y: "mean_speed", color: "ride_id" } });
    await live.done;
    const [panel, chart] = [...outputs.values()];
    const last = String(panel.bundles.at(-1)!.data["text/plain"]);
    assert.match(last, /^query: ended after \d+ batches/);
    assert.match(last, /state rows 0/);
    // The table shown is the latest row per window, which is what the sink's update-mode rows reduce to.
    const shown = live.table().select("ride_id", "window_start", "mean_speed").sort(["ride_id", "window_start"]);
    const expected = sink.latest(["ride_id", "window_start"]).select("ride_id", "window_start", "mean_speed").sort(["ride_id", "window_start"]);
    assert.deepEqual(shown.toRecords(), expected.toRecords());
    assert.deepEqual(shown.getColumn("mean_speed").toArray(), [20, 5, 20]);
    const fig = chart.bundles.at(-1)!.data[PLOTLY_MIME] as PlotlyFigure;
    assert.deepEqual(fig.data.map((t) => t.name), ["r1", "r2"]);
    assert.ok(panel.bundles.length >= 3, "drawn at start, per batch, and at the end");
  });

  it("a kernel interrupt (SIGINT) stops the query it shows, cleanly, and the view says so", async () => {
    const src = new MemoryStreamSource("locations"); // never ended: the query runs until stopped
    src.push(rideFrame([{ ride_id: "r1", t: 1, speed: 10 }]), 0);
    const query = readStream(src).writeStream({ sinks: [new MemoryStreamSink()], idleSleep: "5 ms" }).start();
    const { outputs, write } = collector();
    const live = displayQuery(query, { everyMs: 0, write });
    await new Promise((r) => setTimeout(r, 50)); // stopOnInterrupt listens from the next turn of the event loop
    process.emit("SIGINT");
    await live.done;
    assert.equal(query.isActive, false);
    assert.equal(query.exception, null, "a clean stop, not a failure");
    assert.equal(src.isClosed, true, "the query closed its source");
    assert.match(String([...outputs.values()][0].bundles.at(-1)!.data["text/plain"]), /^query: stopped \(interrupted\) after 1 batch\n/);
    assert.equal(process.listenerCount("SIGINT"), 0, "the view stopped listening");
  });
});

describe("progress bars", () => {
  it("shows the share done, the rate and the time left from the pace so far", () => {
    const line = formatProgressBar({ done: 10, total: 40, elapsedMs: 20_000, throughput: { value: 5000, unit: "rows" } }, { label: "replay", unit: "partitions" });
    // 10 of 40 in 20 s: 25%, 250 rows/s, 60 s left at that pace.
    assert.equal(line, `replay  [${"█".repeat(5)}${"░".repeat(15)}]  25%  10/40 partitions  250 rows/s  1:00 left`);
    assert.equal(formatProgressBar({ done: 7, elapsedMs: 0 }), "7 steps", "no total, no time yet: the count only");
    assert.equal(formatDuration(3725), "1:02:05");
  });

  it("progressDisplay() without a display draws a bar in place, the replay's line under it, and flush() draws the last release", () => {
    const { outputs, write } = collector();
    let now = 0;
    const progress = progressDisplay(undefined, { write, everyMs: 500, now: () => now });
    const rec = (partitions: number): ReplayProgress => ({ releases: partitions, partitions, partitionsTotal: 4, rows: { locations: partitions, accelerations: 10 * partitions }, table: "locations", partition: `t=00${partitions}.0`, offset: partitions, loop: 0, elapsedMs: partitions * 1000, lateness: null });
    progress(rec(1));
    now = 100;
    progress(rec(2)); // too soon: left to the timer, or to flush()
    assert.equal(progress.flush()?.partitions, 2);
    const [bar] = [...outputs.values()];
    assert.deepEqual(bar.updates, [false, true]);
    const last = String(bar.bundles[1].data["text/plain"]);
    assert.match(last, /^replay  \[█{10}░{10}\]  50%  2\/4 partitions  11 rows\/s  0:02 left\nreplay  locations t=002\.0/);
    assert.match(String(bar.bundles[1].data["text/html"]), /width:50\.0%/);
  });
});
