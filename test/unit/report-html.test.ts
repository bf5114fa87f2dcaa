import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { isStreamlabError } from "../../lib/errors";
import { figureHtml, PLOTLY_MIME, reportHtml, resetPlotlyJs, showFigure, writeReport, type DisplayBundle, type PlotlyFigure } from "../../lib/report";

const PLOTLY_BANNER = /plotly\.js v\d+\.\d+\.\d+/g;

function figure(name = "ride-a"): PlotlyFigure {
  return { data: [{ type: "scatter", mode: "lines", name, x: [1, 2], y: [3, 4] }], layout: { title: { text: "A </script> title" }, height: 300 }, config: { responsive: true } };
}

describe("report: showFigure", () => {
  let shown: DisplayBundle[];
  const write = (b: DisplayBundle): void => void shown.push(b);
  beforeEach(() => {
    shown = [];
    resetPlotlyJs();
  });

  it("displays one output with plotly's MIME type, an HTML fallback and a text line", () => {
    const fig = figure();
    showFigure(fig, { write });
    assert.equal(shown.length, 1);
    const data = shown[0].data;
    assert.deepEqual(Object.keys(data).sort(), [PLOTLY_MIME, "text/html", "text/plain"].sort());
    assert.deepEqual(data[PLOTLY_MIME], { data: fig.data, layout: fig.layout, config: fig.config });
    assert.match(data["text/html"] as string, /Plotly\.newPlot/);
    assert.equal(data["text/plain"], "A </script> title: 1 trace (ride-a)");
  });

  it("inlines plotly.js into the first figure of a session only", () => {
    showFigure(figure(), { write });
    showFigure(figure(), { write });
    showFigure(figure(), { write, plotlyJs: "always" });
    const inlined = shown.map((b) => ((b.data["text/html"] as string).match(PLOTLY_BANNER) ?? []).length);
    assert.deepEqual(inlined, [1, 0, 1]);
  });

  it("fails with TOOL_MISSING outside a notebook cell, and BAD_OPTION for an unknown plotlyJs mode", () => {
    assert.throws(() => showFigure(figure()), (e: unknown) => isStreamlabError(e, "TOOL_MISSING") && /notebook/.test(e.message));
    assert.throws(() => showFigure(figure(), { write, plotlyJs: "sometimes" as "once" }), (e: unknown) => isStreamlabError(e, "BAD_OPTION"));
    assert.throws(() => showFigure({ data: "nope" } as unknown as PlotlyFigure, { write }), (e: unknown) => isStreamlabError(e, "BAD_OPTION") && e.context.option === "fig");
  });
});

describe("report: figureHtml", () => {
  it("keeps the figure's JSON inside its script element (no early </script>)", () => {
    const html = figureHtml(figure(), { id: "chart-x" });
    assert.equal(html.match(/<\/script>/g)?.length, 1);
    const json = html.slice(html.indexOf("newPlot(") + "newPlot(".length);
    assert.match(json, /A \\u003c\/script> title/);
    assert.match(html, /<div id="chart-x" class="streamlab-figure" style="width:100%;height:300px;"><\/div>/);
  });
});

describe("report: reportHtml and writeReport", () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-report-"))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("holds plotly.js once, one chart div per section, and the summary escaped", () => {
    const html = reportHtml({ title: "Run <1>", summary: "rows <b>9</b>", sections: [{ title: "S1", figure: figure("a") }, { title: "S2", description: "d", figure: figure("b") }] });
    assert.equal(html.match(PLOTLY_BANNER)?.length, 1);
    assert.equal(html.match(/class="streamlab-figure"/g)?.length, 2);
    assert.match(html, /<pre class="summary">rows &lt;b&gt;9&lt;\/b&gt;<\/pre>/);
    assert.match(html, /<title>Run &lt;1&gt;<\/title>/);
    assert.doesNotMatch(html, /<(script|link)[^>]+(src|href)=/); // nothing loaded from elsewhere
  });

  it("writes the file (creating its folder) and returns its absolute path", async () => {
    const file = await writeReport({ sections: [{ title: "S", figure: figure() }] }, path.join(dir, "sub", "report.html"));
    assert.equal(file, path.join(dir, "sub", "report.html"));
    assert.match(fs.readFileSync(file, "utf8"), /^<!DOCTYPE html>/);
    assert.deepEqual(fs.readdirSync(path.join(dir, "sub")), ["report.html"]); // no temp file left
  });

  it("fails with SINK_IO naming the path when the folder cannot be made", async () => {
    fs.writeFileSync(path.join(dir, "blocker"), "a file where a folder should be");
    const target = path.join(dir, "blocker", "report.html");
    await assert.rejects(writeReport({ sections: [{ title: "S", figure: figure() }] }, target), (e: unknown) => isStreamlabError(e, "SINK_IO") && e.context.path === target);
  });

  it("rejects a report without sections", () => {
    assert.throws(() => reportHtml({ sections: [] }), (e: unknown) => isStreamlabError(e, "BAD_OPTION") && e.context.option === "sections");
  });
});
