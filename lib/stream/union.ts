import pl from "nodejs-polars";
import { QueryError } from "../errors";

/**
 * The rows of several inputs of a `union` as one frame (Spark's `union`, matched by column name as
 * `unionByName`). Every input must have the same columns once its steps ran; a column in one but
 * not another is a QueryError naming both inputs and the difference. Types are unified as polars'
 * relaxed concat does (Int32 with Int64 gives Int64). Null entries are inputs without rows.
 */
export function unionFrames(frames: (pl.DataFrame | null)[], names: string[]): pl.DataFrame | null {
  const present = frames.map((f, i) => ({ f, name: names[i] })).filter((p): p is { f: pl.DataFrame; name: string } => p.f !== null);
  if (present.length === 0) return null;
  const [first] = present;
  const columns = first.f.columns;
  for (const other of present.slice(1)) {
    const missing = columns.filter((c) => !other.f.columns.includes(c));
    const extra = other.f.columns.filter((c) => !columns.includes(c));
    if (missing.length > 0 || extra.length > 0) {
      const list = (cs: string[]) => cs.map((c) => `"${c}"`).join(", ");
      throw new QueryError(`union: inputs "${first.name}" and "${other.name}" have different columns` +
        `${missing.length > 0 ? `; "${other.name}" lacks ${list(missing)}` : ""}${extra.length > 0 ? `; "${other.name}" has ${list(extra)} that "${first.name}" lacks` : ""}` +
        "; select or rename the same columns on each input before union.", { context: { inputs: [first.name, other.name] } });
    }
  }
  const nonEmpty = present.filter((p) => p.f.height > 0);
  if (nonEmpty.length <= 1) return (nonEmpty[0] ?? first).f;
  return pl.concat(nonEmpty.map((p) => p.f), { how: "diagonalRelaxed" }).select(...columns);
}
