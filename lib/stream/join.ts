import pl from "nodejs-polars";
import type { ResolvedJoinOptions } from "./options";
import { EVENT_MS } from "./time";

const LT = "__lt", RT = "__rt";
/** A row's time bucket: `floor(t / within)`; rows within `within` of each other are in the same or adjacent buckets. */
const BUCKET = "__bucket";

/**
 * Stream-stream join state (semantics.md, "Stream-stream joins"), held as polars frames: both
 * sides' buffered rows, and for the outer sides the (key, time) of the rows that found a match.
 * Each micro-batch emits the new pairs (key equal and `|left.t − right.t| <= within`), computed as
 * new-left × all-right plus old-left × new-right, each an equi-join on (key, time bucket) with
 * the smaller side copied into the adjacent buckets, so a pair is found once and state is never joined
 * with state. Then it evicts the rows no future row can match (`t + within < watermark`), emitting
 * the never-matched ones with nulls on the other side for the outer sides. A row that matched never
 * produces a null row. Rows equal in key and time match the same rows, so (key, time) identifies a
 * row for the matched flags. Expressions are built once.
 */
export class JoinState {
  private left: pl.DataFrame | null = null;
  private right: pl.DataFrame | null = null;
  /** (key, time) of buffered rows that found a match, per outer side. */
  private matchedLeft: pl.DataFrame | null = null;
  private matchedRight: pl.DataFrame | null = null;
  /** Left and right output columns (renamed), known once each side has been seen. */
  private leftColumns: string[] | null = null;
  private rightColumns: string[] | null = null;
  private rightRename: Record<string, string> = {};
  private readonly closeEnough: pl.Expr;
  private readonly bucketOf: (time: string) => pl.Expr;
  private readonly shifted: pl.Expr[];
  private nullsForLeftRows: pl.Expr[] | null = null;
  private nullsForRightRows: pl.Expr[] | null = null;
  private readonly keepLeftMatches: boolean;
  private readonly keepRightMatches: boolean;
  /** Left semi/anti: the output is left rows only (see {@link semiOrAnti}). */
  private readonly leftOnly: boolean;

  private readonly options: ResolvedJoinOptions;

  /**
   * @param leftTime event-time column of the left input (renamed to options.leftTimestamp, but for a left semi/anti join)
   * @param rightTime event-time column of the right input (renamed to options.rightTimestamp)
   */
  constructor(options: ResolvedJoinOptions, private readonly leftTime: string, private readonly rightTime: string) {
    this.options = options;
    this.closeEnough = pl.col(LT).sub(pl.col(RT)).abs().lessThanEquals(options.withinMs);
    const size = Math.max(options.withinMs, 1);
    const buckets = new Map<string, pl.Expr>([LT, RT].map((t) => [t, pl.col(t).div(size).floor().alias(BUCKET)]));
    this.bucketOf = (t) => buckets.get(t)!;
    this.shifted = [-1, 1].map((d) => pl.col(BUCKET).add(d).alias(BUCKET));
    this.keepLeftMatches = options.how === "left" || options.how === "full";
    this.keepRightMatches = options.how === "right" || options.how === "full";
    this.leftOnly = options.how === "leftSemi" || options.how === "leftAnti";
    // Left rows keep their own event-time column name: the output is the left input's columns.
    if (this.leftOnly) this.options = { ...options, leftTimestamp: leftTime };
  }

  /** Rows buffered on both sides. */
  get size(): number {
    return (this.left?.height ?? 0) + (this.right?.height ?? 0);
  }

  /** Both inputs have delivered rows, so the output's columns are all known. */
  get knowsBothSides(): boolean {
    return this.leftColumns !== null && this.rightColumns !== null;
  }

  /** The output columns in order (key, the two timestamps, left columns, right columns). */
  get outputColumns(): string[] {
    const { on, leftTimestamp, rightTimestamp } = this.options;
    const rest = (cols: string[] | null, skip: string[]) => (cols ?? []).filter((c) => !skip.includes(c));
    return [on, leftTimestamp, rightTimestamp, ...rest(this.leftColumns, [on, leftTimestamp]), ...rest(this.rightColumns, [on, rightTimestamp])];
  }

  /** Prepares new left rows (with {@link EVENT_MS}): renames the event-time column, adds the time bucket. */
  private prepareLeft(frame: pl.DataFrame): pl.DataFrame {
    const { leftTimestamp } = this.options;
    let f = frame.rename({ [EVENT_MS]: LT });
    if (this.leftTime !== leftTimestamp) f = f.drop(f.columns.includes(leftTimestamp) && leftTimestamp !== this.leftTime ? [leftTimestamp] : []).rename({ [this.leftTime]: leftTimestamp });
    if (this.leftColumns === null) this.leftColumns = f.columns.filter((c) => c !== LT);
    return f.select(...this.leftColumns, LT).withColumns(this.bucketOf(LT));
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
    return frame.select(...keep).rename({ ...this.rightRename, [EVENT_MS]: RT }).withColumns(this.bucketOf(RT));
  }

  /** `side` copied into its own and both adjacent buckets: an equi-join on the bucket then finds every pair within the bound. */
  private spread(side: pl.DataFrame): pl.DataFrame {
    return pl.concat([side, ...this.shifted.map((e) => side.withColumns(e))], { how: "vertical", rechunk: false });
  }

  /** Pairs of `left` and `right` rows with equal key and `|lt − rt| <= within`; `spreadLeft` says which side is copied (either finds each pair once). */
  private pairs(left: pl.DataFrame, right: pl.DataFrame, spreadLeft: boolean): pl.DataFrame {
    const l = spreadLeft ? this.spread(left) : left;
    const r = spreadLeft ? right : this.spread(right);
    return l.join(r, { on: [this.options.on, BUCKET], how: "inner" }).filter(this.closeEnough);
  }

  /**
   * Processes one micro-batch. `left`/`right` hold the batch's non-late rows (with {@link EVENT_MS})
   * or null when that input had none; `watermarkMs` is the watermark in force (+Infinity at the end
   * of a bounded input). Returns the rows to emit (matches and settled unmatched rows).
   */
  process(left: pl.DataFrame | null, right: pl.DataFrame | null, watermarkMs: number): pl.DataFrame {
    const newL = left !== null && left.height > 0 ? this.prepareLeft(left) : null;
    const newR = right !== null && right.height > 0 ? this.prepareRight(right) : null;
    const oldL = this.left;
    const allR = newR === null ? this.right : this.right === null ? newR : pl.concat([this.right, newR], { how: "vertical", rechunk: false });
    const out: pl.DataFrame[] = [];
    const found: pl.DataFrame[] = [];
    // New left rows meet every right row; old left rows meet only the new right rows.
    // Copying the smaller side into the adjacent buckets keeps the join's input small.
    if (newL !== null && allR !== null && allR.height > 0) found.push(this.pairs(newL, allR, newL.height <= allR.height));
    if (oldL !== null && oldL.height > 0 && newR !== null) found.push(this.pairs(oldL, newR, oldL.height <= newR.height));
    if (this.leftOnly) return this.semiOrAnti(found, newL === null ? oldL : oldL === null ? newL : pl.concat([oldL, newL], { how: "vertical", rechunk: false }), allR, watermarkMs);
    for (const pairs of found) {
      if (pairs.height === 0) continue;
      out.push(pairs);
      if (this.keepLeftMatches) this.matchedLeft = addKeys(this.matchedLeft, pairs.select(this.options.on, LT));
      if (this.keepRightMatches) this.matchedRight = addKeys(this.matchedRight, pairs.select(this.options.on, RT));
    }
    let L = newL === null ? oldL : oldL === null ? newL : pl.concat([oldL, newL], { how: "vertical", rechunk: false });
    let R = allR;
    // Rows no future row can match: any future row has t' >= watermark > t + within.
    const bound = watermarkMs - this.options.withinMs;
    if (L !== null) {
      const settled = this.settle(L, LT, bound, "left");
      L = settled.kept;
      if (settled.unmatched) out.push(this.withNulls(settled.unmatched, "left", R));
    }
    if (R !== null) {
      const settled = this.settle(R, RT, bound, "right");
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

  /**
   * The rest of a left semi or anti join's micro-batch, given the new pairs and both sides' rows.
   * A left row that found a match is taken out of the buffer at once: the semi join emits it then
   * (once, however many right rows match), the anti join never. Rows equal in key and time match
   * the same right rows, so (key, time) tells the matched ones. The left rows still buffered have
   * no match; once the watermark passes `t + within` no match can come: the anti join emits them,
   * the semi join drops them. Right rows are buffered for later left rows and evicted the same way.
   */
  private semiOrAnti(found: pl.DataFrame[], left: pl.DataFrame | null, right: pl.DataFrame | null, watermarkMs: number): pl.DataFrame {
    const { on, how, withinMs } = this.options;
    const out: pl.DataFrame[] = [];
    let L = left, R = right;
    const keys = found.filter((f) => f.height > 0).map((f) => f.select(on, LT));
    if (L !== null && keys.length > 0) {
      const matched = (keys.length === 1 ? keys[0] : pl.concat(keys, { how: "vertical", rechunk: false })).unique();
      if (how === "leftSemi") out.push(L.join(matched, { on: [on, LT], how: "semi" }));
      L = L.join(matched, { on: [on, LT], how: "anti" });
    }
    const bound = watermarkMs - withinMs;
    if (L !== null) {
      const settled = this.settle(L, LT, bound, "left");
      if (how === "leftAnti" && settled.kept.height < L.height) out.push(bound === Infinity ? L : L.filter(pl.col(LT).lt(bound)));
      L = settled.kept;
    }
    if (R !== null) R = this.settle(R, RT, bound, "right").kept;
    this.left = L;
    this.right = R;
    const cols = this.leftColumns ?? [];
    const parts = out.filter((f) => f.height > 0).map((f) => f.select(...cols));
    if (parts.length === 0) return this.left === null ? pl.DataFrame({}) : this.left.head(0).select(...cols);
    return parts.length === 1 ? parts[0] : pl.concat(parts, { how: "vertical", rechunk: false });
  }

  /**
   * The lowest watermark under which every row an outer side holds is settled (its time + within,
   * plus 1 ms since a row exactly `within` away still matches), or -Infinity for an inner or a
   * left semi join, which emit nothing when rows settle. The end-of-input flush leaves the watermark there.
   */
  get settledBy(): number {
    const sides: [pl.DataFrame | null, string][] = [];
    // A left anti join emits its unmatched left rows when they settle, as a left outer side does.
    if (this.keepLeftMatches || this.options.how === "leftAnti") sides.push([this.left, LT]);
    if (this.keepRightMatches) sides.push([this.right, RT]);
    let latest = -Infinity;
    for (const [side, time] of sides) if (side !== null && side.height > 0) latest = Math.max(latest, Number(side.getColumn(time).max()));
    return latest === -Infinity ? latest : latest + this.options.withinMs + 1;
  }

  /** Splits off the rows with t < bound; returns the kept rows and, for an outer side, the evicted never-matched ones. */
  private settle(side: pl.DataFrame, time: string, bound: number, which: "left" | "right"): { kept: pl.DataFrame; unmatched: pl.DataFrame | null } {
    if (bound === -Infinity || side.height === 0) return { kept: side, unmatched: null };
    const t = side.getColumn(time);
    if (!(Number(t.min()) < bound)) return { kept: side, unmatched: null };
    const all = bound === Infinity;
    const gone = pl.col(time).lt(bound);
    const evicted = all ? side : side.filter(gone);
    const kept = all ? side.head(0) : side.filter(gone.not());
    const matched = which === "left" ? this.matchedLeft : this.matchedRight;
    const emit = which === "left" ? this.keepLeftMatches : this.keepRightMatches;
    if (!emit) return { kept, unmatched: null };
    const unmatched = matched === null || matched.height === 0 ? evicted : evicted.join(matched, { on: [this.options.on, time], how: "anti" });
    const stillMatched = matched === null ? null : all ? matched.head(0) : matched.filter(gone.not());
    if (which === "left") this.matchedLeft = stillMatched; else this.matchedRight = stillMatched;
    return { kept, unmatched: unmatched.height > 0 ? unmatched : null };
  }

  /** The state for a checkpoint snapshot: both sides' rows, the matched keys, the column layout. */
  snapshot(): { frames: Record<string, pl.DataFrame | null>; meta: JoinMeta } {
    return {
      frames: { left: this.left, right: this.right, matchedLeft: this.matchedLeft, matchedRight: this.matchedRight },
      meta: { leftColumns: this.leftColumns, rightColumns: this.rightColumns, rightRename: this.rightRename },
    };
  }

  /** Restores what {@link snapshot} gave. */
  restore(s: { frames: Record<string, pl.DataFrame | null>; meta: unknown }): void {
    const meta = s.meta as JoinMeta;
    this.left = s.frames.left ?? null;
    this.right = s.frames.right ?? null;
    this.matchedLeft = s.frames.matchedLeft ?? null;
    this.matchedRight = s.frames.matchedRight ?? null;
    this.leftColumns = meta.leftColumns;
    this.rightColumns = meta.rightColumns;
    this.rightRename = meta.rightRename;
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

interface JoinMeta { leftColumns: string[] | null; rightColumns: string[] | null; rightRename: Record<string, string> }

/** The (key, time) pairs of newly matched rows, added to those held (duplicates removed within the batch). */
function addKeys(held: pl.DataFrame | null, keys: pl.DataFrame): pl.DataFrame {
  const fresh = keys.unique();
  return held === null || held.height === 0 ? fresh : pl.concat([held, fresh], { how: "vertical", rechunk: false });
}
