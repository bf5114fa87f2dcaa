import pl from "nodejs-polars";
import type { ResolvedJoinOptions } from "./options";
import { EVENT_MS } from "./time";

const LID = "__lid", LT = "__lt";
const RID = "__rid", RT = "__rt";

/** Keeps the rows of `frame` where `mask` is true (mask computed in JS, e.g. from a Set of ids). */
function keepWhere(frame: pl.DataFrame, mask: boolean[]): pl.DataFrame {
  return frame.withColumns(pl.Series(KEEP, mask, pl.Bool)).filter(KEEP_EXPR).drop(KEEP);
}
const KEEP = "__keep";
const KEEP_EXPR = pl.col(KEEP);

/**
 * Stream-stream join state (semantics.md, "Stream-stream joins"): both sides' rows are buffered
 * with a `matched` flag; each micro-batch emits the new pairs (key equal and
 * `|left.t − right.t| <= within`, at least one side new), then evicts the rows no future row can
 * match (`t + within < watermark`), emitting the never-matched ones with nulls on the other side
 * for the outer sides. A row that matched never produces a null row.
 */
export class JoinState {
  private left: pl.DataFrame | null = null;
  private right: pl.DataFrame | null = null;
  /** Left and right output columns (renamed), known once each side has been seen. */
  private leftColumns: string[] | null = null;
  private rightColumns: string[] | null = null;
  private rightRename: Record<string, string> = {};
  private nextId = 0;
  /** Ids of buffered rows that found a match (an unmatched-row emission must skip them). */
  private readonly matchedLeft = new Set<number>();
  private readonly matchedRight = new Set<number>();
  /** Built once: nodejs-polars expressions are costly to construct. */
  private readonly closeEnough: pl.Expr;
  private nullsForLeftRows: pl.Expr[] | null = null;
  private nullsForRightRows: pl.Expr[] | null = null;

  /**
   * @param leftTime event-time column of the left input (renamed to options.leftTimestamp)
   * @param rightTime event-time column of the right input (renamed to options.rightTimestamp)
   */
  constructor(private readonly options: ResolvedJoinOptions, private readonly leftTime: string, private readonly rightTime: string) {
    this.closeEnough = pl.col(LT).sub(pl.col(RT)).abs().lessThanEquals(options.withinMs);
  }

  /** Rows buffered on both sides. */
  get size(): number {
    return (this.left?.height ?? 0) + (this.right?.height ?? 0);
  }

  /** The output columns in order (key, the two timestamps, left columns, right columns). */
  get outputColumns(): string[] {
    const { on, leftTimestamp, rightTimestamp } = this.options;
    const rest = (cols: string[] | null, skip: string[]) => (cols ?? []).filter((c) => !skip.includes(c));
    return [on, leftTimestamp, rightTimestamp, ...rest(this.leftColumns, [on, leftTimestamp]), ...rest(this.rightColumns, [on, rightTimestamp])];
  }

  private ids(n: number): pl.Series {
    const start = this.nextId;
    this.nextId += n;
    return pl.Series("id", Array.from({ length: n }, (_, i) => start + i), pl.Float64);
  }

  /** Prepares new left rows (with {@link EVENT_MS}): renames the event-time column, adds internals. */
  private prepareLeft(frame: pl.DataFrame): pl.DataFrame {
    const { leftTimestamp } = this.options;
    let f = frame.rename({ [EVENT_MS]: LT });
    if (this.leftTime !== leftTimestamp) f = f.drop(leftTimestamp in f.schema && leftTimestamp !== this.leftTime ? [leftTimestamp] : []).rename({ [this.leftTime]: leftTimestamp });
    if (this.leftColumns === null) this.leftColumns = f.columns.filter((c) => c !== LT);
    f = f.select(...this.leftColumns, LT);
    return f.withColumns(this.ids(f.height).alias(LID));
  }

  private prepareRight(frame: pl.DataFrame): pl.DataFrame {
    const { on, rightTimestamp, suffix } = this.options;
    if (this.rightColumns === null) {
      const taken = new Set([...(this.leftColumns ?? []), this.options.leftTimestamp, rightTimestamp]);
      for (const c of frame.columns) {
        if (c === EVENT_MS || c === on) continue;
        if (c === this.rightTime) this.rightRename[c] = rightTimestamp;
        else if (taken.has(c)) this.rightRename[c] = c + suffix;
        else this.rightRename[c] = c;
      }
      this.rightColumns = [on, ...Object.values(this.rightRename)];
    }
    const keep = [on, ...Object.keys(this.rightRename), EVENT_MS];
    const f = frame.select(...keep).rename({ ...this.rightRename, [EVENT_MS]: RT });
    return f.withColumns(this.ids(f.height).alias(RID));
  }

  /**
   * Processes one micro-batch. `left`/`right` hold the batch's non-late rows (with {@link EVENT_MS})
   * or null when that input had none; `watermarkMs` is the watermark in force (+Infinity at the end
   * of a bounded input). Returns the rows to emit (matches and settled unmatched rows).
   */
  process(left: pl.DataFrame | null, right: pl.DataFrame | null, watermarkMs: number): pl.DataFrame {
    const firstNew = this.nextId; // ids are increasing: rows with id >= firstNew arrived in this batch
    let L = this.left;
    let R = this.right;
    if (left !== null && left.height > 0) { const n = this.prepareLeft(left); L = L === null ? n : pl.concat([L, n], { how: "diagonalRelaxed" }); }
    if (right !== null && right.height > 0) { const n = this.prepareRight(right); R = R === null ? n : pl.concat([R, n], { how: "diagonalRelaxed" }); }
    const out: pl.DataFrame[] = [];
    const { on, withinMs, how } = this.options;
    if (L !== null && R !== null && L.height > 0 && R.height > 0 && this.nextId > firstNew) {
      const pairs = L.join(R, { on, how: "inner" }).filter(this.closeEnough.and(pl.col(LID).gtEq(firstNew).or(pl.col(RID).gtEq(firstNew))));
      if (pairs.height > 0) {
        out.push(pairs);
        for (const id of pairs.getColumn(LID).toArray()) this.matchedLeft.add(Number(id));
        for (const id of pairs.getColumn(RID).toArray()) this.matchedRight.add(Number(id));
      }
    }
    // Rows no future row can match: any future row has t' >= watermark > t + within.
    const bound = watermarkMs - withinMs;
    if (L !== null) {
      const settled = this.settle(L, LT, LID, bound, this.matchedLeft, how === "left" || how === "full");
      L = settled.kept;
      if (settled.unmatched) out.push(this.withNulls(settled.unmatched, "left", R));
    }
    if (R !== null) {
      const settled = this.settle(R, RT, RID, bound, this.matchedRight, how === "right" || how === "full");
      R = settled.kept;
      if (settled.unmatched) out.push(this.withNulls(settled.unmatched, "right", L));
    }
    this.left = L;
    this.right = R;
    const cols = this.outputColumns;
    const parts = out.filter((f) => f.height > 0).map((f) => f.select(...cols.filter((c) => f.columns.includes(c))));
    if (parts.length === 0) return this.emptyOutput();
    return parts.length === 1 ? parts[0] : pl.concat(parts, { how: "diagonalRelaxed" }).select(...cols.filter((c) => parts.some((p) => p.columns.includes(c))));
  }

  /** Splits off the rows with t < bound; returns the kept rows and, if wanted, the evicted never-matched ones. */
  private settle(side: pl.DataFrame, time: string, id: string, bound: number, matched: Set<number>, emitUnmatched: boolean): { kept: pl.DataFrame; unmatched: pl.DataFrame | null } {
    if (bound === -Infinity || side.height === 0) return { kept: side, unmatched: null };
    const times = side.getColumn(time).toArray() as number[];
    if (!times.some((t) => t < bound)) return { kept: side, unmatched: null };
    const ids = side.getColumn(id).toArray() as number[];
    const evict = times.map((t) => t < bound);
    const unmatchedMask = evict.map((e, i) => e && !matched.has(ids[i]));
    ids.forEach((v, i) => { if (evict[i]) matched.delete(v); });
    return {
      kept: keepWhere(side, evict.map((e) => !e)),
      unmatched: emitUnmatched && unmatchedMask.some(Boolean) ? keepWhere(side, unmatchedMask) : null,
    };
  }

  /** Adds the other side's columns as typed nulls (skipping the key, which the row has). */
  private withNulls(rows: pl.DataFrame, side: "left" | "right", other: pl.DataFrame | null): pl.DataFrame {
    const otherColumns = side === "left" ? this.rightColumns : this.leftColumns;
    if (rows.height === 0 || otherColumns === null || other === null) return rows;
    let nulls = side === "left" ? this.nullsForLeftRows : this.nullsForRightRows;
    if (nulls === null) {
      nulls = otherColumns.filter((c) => c !== this.options.on).map((c) => pl.lit(null).cast(other.schema[c]).alias(c));
      if (side === "left") this.nullsForLeftRows = nulls; else this.nullsForRightRows = nulls;
    }
    return nulls.length === 0 ? rows : rows.withColumns(...nulls);
  }

  private emptyOutput(): pl.DataFrame {
    const parts: pl.DataFrame[] = [];
    if (this.left !== null) parts.push(this.left.head(0));
    if (this.right !== null) parts.push(this.right.head(0));
    if (parts.length === 0) return pl.DataFrame({});
    const joined = parts.length === 2 ? parts[0].join(parts[1], { on: this.options.on, how: "inner" }) : parts[0];
    return joined.select(...this.outputColumns.filter((c) => joined.columns.includes(c)));
  }
}
