/**
 * Rich display of values in notebooks: a polars DataFrame or Series shows as an HTML table (with
 * polars' text form as the plain-text fallback), both with `show(value)` and, once registered, as
 * the last expression of a cell.
 *
 * tslab prints a cell's last expression with `console.log` (text only) and has no registry of rich
 * formats. It evaluates `expr` as `exports.tsLastExpr = expr` on the object it hands each cell as
 * `__tslab__.exports`, then prints that property unless it is null. {@link installRichDisplay} wraps
 * that object: a last expression with a rich form is displayed as a bundle and left null, so tslab
 * prints nothing more. Values opt in with the `Symbol.for("Jupyter.display")` method that
 * nodejs-polars and Deno's kernel use; DataFrame and Series get streamlab's table (polars' own
 * method lacks the dtypes and the head/tail layout).
 */
import { OptionError } from "../errors";
import { kernelWriter, type DisplayBundle, type DisplayWriter } from "./channel";
import { frameHtml, isDataFrame, isSeries, seriesHtml, type FrameHtmlOptions } from "./frame-html";

/** The method through which a value gives its MIME bundle (`{ "text/html": …, "text/plain": … }`). */
export const JUPYTER_DISPLAY = Symbol.for("Jupyter.display");

type RichValue = { [JUPYTER_DISPLAY](): Record<string, unknown> };

const hasDisplay = (v: unknown): v is RichValue => v !== null && (typeof v === "object" || typeof v === "function") && typeof (v as Partial<RichValue>)[JUPYTER_DISPLAY] === "function";

/**
 * The display bundle of a value: a DataFrame or Series as an HTML table plus polars' text form; a
 * value with a `Symbol.for("Jupyter.display")` method as what it returns; undefined for any other
 * value (tslab prints it as text).
 *
 * @example
 * richBundle(pl.DataFrame({ a: [1] }))?.data["text/html"]; // "<div class=\"streamlab-frame\">…<table …"
 * richBundle(42); // undefined
 */
export function richBundle(value: unknown, options: FrameHtmlOptions = {}): DisplayBundle | undefined {
  if (isDataFrame(value)) return { data: { "text/html": frameHtml(value, options), "text/plain": value.toString() }, metadata: {} };
  if (isSeries(value)) return { data: { "text/html": seriesHtml(value, options), "text/plain": value.toString() }, metadata: {} };
  if (hasDisplay(value)) {
    const data = value[JUPYTER_DISPLAY]();
    if (data !== null && typeof data === "object" && Object.keys(data).length > 0) return { data: { ...data }, metadata: {} };
  }
  return undefined;
}

/** Options of {@link show}. */
export interface ShowOptions extends FrameHtmlOptions {
  /** Where the bundle goes; default tslab's display channel. Tests pass a function that collects it. */
  write?: DisplayWriter;
}

/**
 * Displays a value in the current cell: a DataFrame or Series as an HTML table (dtypes under the
 * column names, shape, head and tail of long frames), anything with a rich form as that, anything
 * else as text. Returns nothing, so it can end a cell.
 *
 * @throws ToolError (TOOL_MISSING) outside a tslab notebook cell (without `write`)
 * @example
 * show(outputs.windowed.sort(["ride_id", "window_start"]), { maxRows: 20 });
 */
export function show(value: unknown, options: ShowOptions = {}): void {
  if (options === null || typeof options !== "object") throw new OptionError("options", options, "an object such as { maxRows: 20 }");
  if (options.write !== undefined && typeof options.write !== "function") throw new OptionError("write", typeof options.write, "a function receiving the display bundle");
  const write = options.write ?? kernelWriter("show()");
  write(richBundle(value, options) ?? { data: { "text/plain": String(value) }, metadata: {} });
}

const LAST_EXPRESSION = /^tsLastExpr\d*$/;
const HOOKED = Symbol.for("streamlab.richDisplay");

interface TslabGlobals {
  exports: Record<string | symbol, unknown>;
  [HOOKED]?: true;
}

/**
 * Makes the last expression of a cell display richly: from the next cell on, a cell that ends with
 * a DataFrame or Series shows an HTML table (a value with a `Symbol.for("Jupyter.display")` method,
 * its own bundle). Importing `streamlab` in a tslab kernel does this once by itself; calling it again
 * changes nothing. Returns false outside a tslab kernel.
 *
 * @example
 * import { installRichDisplay } from "streamlab"; // importing already installed it
 * installRichDisplay(); // true in a notebook
 * // next cell:
 * pl.DataFrame({ ride: ["a", "b"], speed: [3.5, 7] }) // an HTML table with dtypes str, f64
 */
export function installRichDisplay(): boolean {
  const tslab = (globalThis as { __tslab__?: TslabGlobals }).__tslab__;
  if (tslab === undefined || tslab === null || typeof tslab.exports !== "object") return false;
  if (tslab[HOOKED]) return true;
  const original = tslab.exports;
  tslab.exports = new Proxy(original, {
    set(target, prop, value) {
      if (typeof prop === "string" && LAST_EXPRESSION.test(prop)) {
        let bundle: DisplayBundle | undefined;
        try {
          bundle = richBundle(value);
        } catch {
          bundle = undefined; // a value whose rich form fails is printed as text, as without the hook
        }
        if (bundle !== undefined) {
          kernelWriter("the rich display")(bundle);
          return Reflect.set(target, prop, undefined);
        }
      }
      return Reflect.set(target, prop, value);
    },
  });
  tslab[HOOKED] = true;
  return true;
}
