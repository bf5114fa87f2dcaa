/**
 * Stop-and-resume checks for stateful operators: a query over a file stream is stopped after some
 * micro-batches and started again with the same checkpoint folder; what the two runs emitted
 * together must equal an uninterrupted run's output. An operator whose state is not snapshotted
 * and restored emits keys again (dropDuplicates), misses matches (joins) or restarts counts.
 */
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import path from "node:path";
import pl from "nodejs-polars";
import { fileStreamSource, MemoryStreamSink, type OutputMode, type StreamFrame, type StreamSource } from "../../lib/stream";
import { at } from "./stream-fixtures";

/** Writes `rows` (with a `t` in seconds) as a file stream: `<root>/<table>/t=SSS.S/part.parquet`, one partition per `t` bucket of `every` s. */
export function writeFileStream(root: string, table: string, frame: pl.DataFrame, every: number): void {
  const t = frame.getColumn("t").toArray() as number[];
  const parts = new Map<number, number[]>();
  t.forEach((s, i) => { const p = Math.floor(s / every) * every; parts.set(p, [...(parts.get(p) ?? []), i]); });
  for (const [p, idx] of parts) {
    const dir = path.join(root, table, `t=${p.toFixed(1).padStart(5, "0")}`);
    mkdirSync(dir, { recursive: true });
    const rows = frame.filter(pl.col("__i").isIn(idx));
    rows.drop("__i").withColumns(pl.Series("timestamp", (rows.getColumn("t").toArray() as number[]).map(at), pl.Datetime("ms"))).writeParquet(path.join(dir, "part.parquet"));
  }
}

/** A frame with a row index, for {@link writeFileStream}. */
export const indexed = (frame: pl.DataFrame): pl.DataFrame => frame.withRowIndex("__i");

/** The file source of one table, one partition per micro-batch. */
export const tableSource = (root: string, table: string): StreamSource => fileStreamSource({ dir: path.join(root, table), name: table, once: true, maxFilesPerTrigger: 1, deadLetter: false });

/**
 * Runs `build(sources)` uninterrupted, then stopped after `stopAfter` batches and resumed from the
 * checkpoint; asserts both give the same rows (sorted by `sortBy`) and returns the reference output.
 */
export async function assertResumes(root: string, tables: string[], build: (src: StreamSource[]) => StreamFrame, mode: OutputMode, sortBy: string[], stopAfter = 3): Promise<pl.DataFrame> {
  const sources = () => tables.map((t) => tableSource(root, t));
  const reference = new MemoryStreamSink();
  await build(sources()).writeStream({ mode, sinks: [reference], trigger: "once" }).start().awaitTermination();
  const checkpointLocation = path.join(root, "_ckpt");
  const first = new MemoryStreamSink(), second = new MemoryStreamSink();
  const controller = new AbortController();
  let batches = 0;
  await build(sources()).writeStream({ mode, sinks: [first], trigger: "once", checkpointLocation, snapshotEvery: 2, signal: controller.signal, onProgress: () => { if (++batches === stopAfter) controller.abort(); } }).start().awaitTermination();
  assert.equal(batches, stopAfter, `the first run ran ${stopAfter} batches before the stop (fewer: its input was too short, or its files were skipped)`);
  const resumed = build(sources()).writeStream({ mode, sinks: [second], trigger: "once", checkpointLocation, snapshotEvery: 2 }).start();
  await resumed.awaitTermination();
  assert.ok(resumed.totals.batches > 0, "the second run had batches left");
  const want = reference.table();
  const parts = [first.table(), second.table()].filter((f) => f.height > 0);
  const got = parts.length === 1 ? parts[0] : pl.concat(parts, { how: "diagonalRelaxed" });
  assert.ok(want.height > 0, "the reference run emitted rows");
  const cols = want.columns.filter((c) => c !== "batch_id");
  assert.ok(got.select(...cols).sort(sortBy).frameEqual(want.select(...cols).sort(sortBy), true), `resumed output differs:\n${got.sort(sortBy)}\nvs\n${want.sort(sortBy)}`);
  return want;
}
