/**
 * The HTML report: the charts of a run in one self-contained file (plotly.js inlined once), which
 * opens offline in any browser.
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { OptionError, SinkError } from "../errors";
import { writeFileAtomic } from "../files/atomic";
import { figureHtml, plotlyJsSource, scriptTag } from "./html";
import type { PlotlyFigure } from "./types";
import { escapeHtml } from "../display/frame-html";

/** One chart of the report, with a heading and a sentence on how to read it. */
export interface ReportSection {
  title: string;
  description?: string;
  figure: PlotlyFigure;
}

/** Options of {@link reportHtml} and {@link writeReport}. */
export interface ReportOptions {
  /** Page title; default "streamlab report". */
  title?: string;
  /** The charts, in order. */
  sections: ReportSection[];
  /** Preformatted text shown above the charts (e.g. the run's summary). */
  summary?: string;
  /** When the report was made; default now. */
  generatedAt?: Date;
}

export const REPORT_DEFAULTS = { title: "streamlab report", file: "results/report.html" } as const;

const STYLE = `body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:1200px;padding:0 1rem;color:#222}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem}p.meta{color:#666}
pre{background:#f6f8fa;padding:1rem;overflow-x:auto;font-size:.85rem;line-height:1.35}
section{margin-bottom:2rem}`;

function validate(o: ReportOptions): void {
  if (o === null || typeof o !== "object") throw new OptionError("report", o, "an options object { sections: [{ title, figure }] }");
  if (!Array.isArray(o.sections) || o.sections.length === 0) throw new OptionError("sections", o.sections, "a non-empty list of { title, description?, figure }");
  o.sections.forEach((s, i) => {
    if (typeof s?.title !== "string" || !Array.isArray(s.figure?.data)) throw new OptionError(`sections[${i}]`, typeof s, "{ title: string, description?: string, figure: a plotly figure }");
  });
}

/**
 * The report as one HTML page: title, summary, then each chart under its heading, plotly.js
 * inlined once in the head (no CDN, opens offline).
 *
 * @example
 * const html = reportHtml({ title: "My run", sections: [{ title: "Speed", figure: speedFigure(windowed) }] });
 */
export function reportHtml(options: ReportOptions): string {
  validate(options);
  const title = options.title ?? REPORT_DEFAULTS.title;
  const when = (options.generatedAt ?? new Date()).toISOString();
  const sections = options.sections.map((s, i) => [
    `<section>`,
    `<h2>${escapeHtml(s.title)}</h2>`,
    s.description === undefined ? "" : `<p>${escapeHtml(s.description)}</p>`,
    figureHtml(s.figure, { id: `chart-${i + 1}` }),
    `</section>`,
  ].join("\n"));
  return [
    "<!DOCTYPE html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${STYLE}</style>`,
    scriptTag(plotlyJsSource()),
    "</head>",
    "<body>",
    `<h1>${escapeHtml(title)}</h1>`,
    `<p class="meta">Generated ${when} by streamlab. Self-contained: plotly.js is inlined, no network needed.</p>`,
    options.summary === undefined ? "" : `<pre class="summary">${escapeHtml(options.summary)}</pre>`,
    ...sections,
    "</body>",
    "</html>",
    "",
  ].join("\n");
}

/**
 * Writes {@link reportHtml} to `file` (default `results/report.html`), creating its folder; the
 * file is written under a temporary name and renamed, so a browser never opens half a report.
 * Resolves with the absolute path.
 *
 * @throws SinkError (SINK_IO) when the file cannot be written
 * @example
 * const file = await writeReport({ sections: [{ title: "GPS tracks", figure: trackFigure(locations) }] });
 * console.log(`report: ${file}`); // open it in a browser, offline
 */
export async function writeReport(options: ReportOptions, file: string = REPORT_DEFAULTS.file): Promise<string> {
  if (typeof file !== "string" || file.trim() === "") throw new OptionError("file", file, 'a file path such as "results/report.html"');
  const html = reportHtml(options);
  const target = path.resolve(file);
  const explain = (e: unknown) => `cannot write the report (${(e as Error).message}); check the folder's permissions and free space.`;
  try {
    await fs.mkdir(path.dirname(target), { recursive: true });
  } catch (e) {
    throw new SinkError(target, explain(e), e);
  }
  await writeFileAtomic(target, html, { sync: false, explain });
  return target;
}
