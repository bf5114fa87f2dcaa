import type pl from "nodejs-polars";
import { OptionError } from "../../errors";
import type { PlotlyFigure, PlotlyTrace } from "../../report/types";

/**
 * A stacked bar chart of quantities bought per item, one bar segment per colour (the answer to
 * "SELECT item, color, SUM(quantity) AS bought FROM purchases GROUP BY item, color"). Show it with
 * `showFigure(fig)` in a notebook.
 *
 * @example
 * ```ts
 * const perColor = queryEvents(dir, "SELECT item, color, SUM(quantity) AS bought FROM purchases GROUP BY item, color");
 * showFigure(purchasesFigure(perColor));
 * ```
 */
export function purchasesFigure(frame: pl.DataFrame, title = "Items bought per colour"): PlotlyFigure {
  for (const c of ["item", "color", "bought"]) {
    if (!frame.columns.includes(c)) throw new OptionError("frame", frame.columns, `expected columns item, color, bought (missing ${c}); use SUM(quantity) AS bought`);
  }
  const rows = frame.toRecords() as Array<{ item: string; color: string | null; bought: number | bigint }>;
  const items = [...new Set(rows.map((r) => r.item))].sort();
  const colors = [...new Set(rows.map((r) => r.color ?? "none"))].sort();
  const data = colors.map((color) => {
    const qty = new Map(rows.filter((r) => (r.color ?? "none") === color).map((r) => [r.item, Number(r.bought)]));
    // A bar trace; lib/report's PlotlyTrace is typed for its scatter charts only, plotly takes both.
    return { type: "bar", name: color, x: items, y: items.map((i) => qty.get(i) ?? 0), marker: color === "none" ? { color: "#999" } : { color } } as unknown as PlotlyTrace;
  });
  return {
    data,
    layout: { title: { text: title }, barmode: "stack", height: 420, xaxis: { title: { text: "item" } }, yaxis: { title: { text: "quantity bought" } }, legend: { title: { text: "colour" } } },
    config: { responsive: true, displaylogo: false },
  };
}
