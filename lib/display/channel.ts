/**
 * The notebook's display channel (tslab's), and outputs that update in place.
 *
 * tslab's public `display` API sends one MIME type per output; a rich output needs a bundle (HTML
 * plus its plain-text fallback, or plotly's MIME type plus HTML), so this uses the channel that API
 * wraps: `lastWriteDisplayData(content, update)`, which sends Jupyter's `display_data` or, for an
 * output given a `display_id` before, `update_display_data`. JupyterLab and nbclient (nbconvert)
 * both replace the output carrying that id, also from a later cell.
 */
import { randomBytes } from "node:crypto";
import { ToolError } from "../errors";

/** The content of a Jupyter `display_data` message: MIME type → data, and metadata. */
export interface DisplayBundle {
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
}

/** Where bundles go: tslab's channel in a notebook, a function that collects them in tests. */
export type DisplayWriter = (bundle: DisplayBundle, target?: { id: string; update: boolean }) => void;

type TslabChannel = ((content: unknown, update: boolean) => void) | null | undefined;

function tslabChannel(): TslabChannel {
  try {
    return (require("tslab/dist/jupyter") as { lastWriteDisplayData?: TslabChannel }).lastWriteDisplayData;
  } catch {
    return undefined;
  }
}

/** True inside a cell run by the tslab kernel (its display channel is set). */
export function inKernel(): boolean {
  return typeof tslabChannel() === "function";
}

/**
 * The writer to tslab's display channel of the running cell.
 *
 * @param what the helper asking, for the error message
 * @throws ToolError (TOOL_MISSING) outside a tslab notebook cell
 */
export function kernelWriter(what = "this display"): DisplayWriter {
  const channel = tslabChannel();
  if (typeof channel !== "function") {
    throw new ToolError("tslab", `${what} draws in a notebook cell run by this project's tslab kernel (npm run lab); outside a notebook, write the HTML to a file instead (frameHtml(), figureHtml(), writeReport()).`);
  }
  return (bundle, target) => {
    // Read at each call: tslab points it at the running cell's request, and an update sent while
    // a later cell runs must use that one (the frontend finds the output by its display_id).
    const write = tslabChannel() ?? channel;
    write({ ...bundle, transient: target === undefined ? {} : { display_id: target.id } }, target?.update ?? false);
  };
}

/**
 * One output in the notebook that is drawn again in place: the first `draw` displays it, the next
 * ones replace it (Jupyter's `update_display_data`, by display id).
 *
 * @example
 * const out = new LiveOutput();
 * out.draw({ data: { "text/html": "<b>1</b>", "text/plain": "1" }, metadata: {} });
 * out.draw({ data: { "text/html": "<b>2</b>", "text/plain": "2" }, metadata: {} }); // replaces it
 */
export class LiveOutput {
  readonly id = `streamlab-${randomBytes(8).toString("hex")}`;
  private shown = false;
  private readonly write: DisplayWriter;

  /** @param write where bundles go; default tslab's channel (TOOL_MISSING outside a notebook cell) */
  constructor(write?: DisplayWriter) {
    this.write = write ?? kernelWriter("a live output");
  }

  /** Displays the bundle (first call) or replaces what this output shows. */
  draw(bundle: DisplayBundle): void {
    this.write(bundle, { id: this.id, update: this.shown });
    this.shown = true;
  }

  /** True once drawn. */
  get isShown(): boolean {
    return this.shown;
  }
}
