/**
 * Headless Chromium for the browser tests: Debian's chromium (scripts/browser.sh) driven by
 * playwright-core, with a fresh profile and the flags a closed network needs (without them Chromium
 * keeps trying to reach Google services and stalls). Every request that leaves file:// is aborted
 * and recorded, so a page that needs the network shows it.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";

export const ROOT = path.resolve(__dirname, "../..");

export const CHROMIUM_ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

/** The Chromium binary `bash scripts/browser.sh path` finds (CHROMIUM_PATH, /usr/bin/chromium…). */
export function chromiumPath(): string {
  try {
    return execFileSync("bash", [path.join(ROOT, "scripts", "browser.sh"), "path"], { encoding: "utf8" }).trim();
  } catch {
    throw new Error("Chromium not found: run `bash scripts/browser.sh setup` (installs Debian's chromium) or set CHROMIUM_PATH.");
  }
}

export interface Browser {
  context: BrowserContext;
  /** URLs the pages tried to fetch outside file:// (all aborted). */
  network: string[];
  close(): Promise<void>;
}

/** Launches Chromium with a fresh user-data-dir; `close()` removes it. */
export async function launchBrowser(): Promise<Browser> {
  const profile = mkdtempSync(path.join(os.tmpdir(), "streamlab-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath(),
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
  });
  const network: string[] = [];
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith("file:") || url.startsWith("data:") || url.startsWith("blob:")) return route.continue();
    network.push(url);
    return route.abort();
  });
  return {
    context,
    network,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** What a page's plotly charts drew. */
export interface ChartsOnPage {
  plotly: boolean;
  /** One per `.js-plotly-plot` element: traces and points in its data, trace groups and points drawn in its SVG. */
  charts: { traces: number; drawn: number; points: number; dataPoints: number }[];
  /** Text of the streamlab figure divs that could not draw (plotly.js missing). */
  failures: string[];
}

// Runs in the page (a string: the project's tsconfig has no DOM types).
const CHARTS_SCRIPT = `(() => {
  const plots = [...document.querySelectorAll(".js-plotly-plot")];
  return {
    plotly: typeof window.Plotly === "object" && typeof window.Plotly.newPlot === "function",
    charts: plots.map((p) => ({
      traces: Array.isArray(p.data) ? p.data.length : 0,
      drawn: p.querySelectorAll("g.trace.scatter").length,
      points: p.querySelectorAll("g.trace.scatter path.point").length,
      dataPoints: (p.data || []).reduce((n, t) => n + (t.x ? t.x.length : 0), 0),
    })),
    failures: [...document.querySelectorAll(".streamlab-figure")].filter((d) => !d.classList.contains("js-plotly-plot")).map((d) => d.textContent || ""),
  };
})()`;

/** Waits until `count` charts are drawn (or the timeout passes), then reports what each drew. */
export async function chartsOnPage(page: Page, count: number, timeoutMs = 120_000): Promise<ChartsOnPage> {
  await page.waitForFunction(`document.querySelectorAll(".js-plotly-plot .main-svg").length >= ${count}`, undefined, { timeout: timeoutMs }).catch(() => undefined);
  return (await page.evaluate(CHARTS_SCRIPT)) as ChartsOnPage;
}
