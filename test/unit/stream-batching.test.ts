/**
 * Micro-batch sizing (issue: the engine at polars speed): bounded polls of the file source, the
 * `once` trigger as Spark's availableNow, final results independent of how the input was cut, bad
 * files found inside a large batch, join pairs emitted once across batch boundaries, and state that
 * does not grow with the length of the stream.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pl from "nodejs-polars";
import { isStreamlabError } from "../../lib/errors";
import {
  fileStreamSource, joinedQuery, MemoryStreamSink, MemoryStreamSource, readStream, windowedQuery, window,
  type ProgressRecord,
} from "../../lib/stream";
import { at, assertFramesEqual, rng, runToEnd } from "./stream-fixtures";

const START = Date.UTC(2020, 0, 1);

/** One parquet file per ride per partition and table, as the replay writes the course's data. */
function writeCourseStream(root: string, rides: number, seconds: number, seed: number): { files: number; loc: LocRow[]; acc: AccRow[] } {
  const rand = rng(seed);
  const loc: LocRow[] = [];
  const acc: AccRow[] = [];
  let files = 0;
  for (let r = 0; r < rides; r++) {
    const uuid = `u${String(r).padStart(3, "0")}`;
    const begin = rand() * seconds * 0.5;
    const end = Math.min(seconds, begin + 20 + rand() * 20);
    for (let t = begin; t < end; t += 2 + rand() * 2) loc.push({ uuid, ride_id: `ride-${uuid}`, t: Math.round(t * 1000) / 1000, speed: Math.round(rand() * 30000) / 1000 });
    for (let t = begin; t < end; t += 0.2 + rand() * 0.2) acc.push({ uuid, ride_id: `ride-${uuid}`, t: Math.round(t * 1000) / 1000, x: rand() });
  }
  const partition = (t: number) => Math.floor(t / 3) * 3;
  const write = (table: string, rows: { uuid: string; t: number }[], frame: (rows: any[]) => pl.DataFrame) => {
    const groups = new Map<string, any[]>();
    for (const row of rows) {
      const key = `${partition(row.t)}|${row.uuid}`;
      groups.set(key, [...(groups.get(key) ?? []), row]);
    }
    for (const [key, group] of groups) {
      const [p, uuid] = key.split("|");
      const dir = path.join(root, table, `t=${Number(p).toFixed(1).padStart(5, "0")}`);
      mkdirSync(dir, { recursive: true });
      frame(group).writeParquet(path.join(dir, `${uuid}.parquet`));
      files++;
    }
  };
  const ts = (rows: { t: number }[]) => pl.Series("timestamp", rows.map((x) => new Date(START + Math.round(x.t * 1000))), pl.Datetime("ms"));
  write("locations", loc, (rows: LocRow[]) => pl.DataFrame({
    id: rows.map((x) => x.uuid), ride_id: rows.map((x) => x.ride_id), uuid: rows.map((x) => x.uuid), timestamp: ts(rows),
    offset: rows.map((x) => x.t), speed: rows.map((x) => x.speed), latitude: rows.map(() => 37.8), longitude: rows.map(() => -122.3),
  }));
  write("accelerations", acc, (rows: AccRow[]) => pl.DataFrame({
    id: rows.map((x) => x.uuid), ride_id: rows.map((x) => x.ride_id), uuid: rows.map((x) => x.uuid), timestamp: ts(rows),
    offset: rows.map((x) => x.t), x: rows.map((x) => x.x), y: rows.map(() => 0.1), z: rows.map(() => 1),
  }));
  return { files, loc, acc };
}

interface LocRow { uuid: string; ride_id: string; t: number; speed: number }
interface AccRow { uuid: string; ride_id: string; t: number; x: number }

/** Brute force: the (uuid, loc ms, acc ms) pairs within 1.5 s, and the rows of each side that matched nothing. */
function expectedJoin(loc: LocRow[], acc: AccRow[]): { pairs: string[]; onlyLoc: number; onlyAcc: number } {
  const pairs: string[] = [];
  const hitL = new Set<number>(), hitA = new Set<number>();
  loc.forEach((l, i) => acc.forEach((a, j) => {
    if (l.uuid === a.uuid && Math.abs(Math.round(l.t * 1000) - Math.round(a.t * 1000)) <= 1500) {
      pairs.push(`${l.uuid}|${START + Math.round(l.t * 1000)}|${START + Math.round(a.t * 1000)}`);
      hitL.add(i); hitA.add(j);
    }
  }));
  return { pairs: pairs.sort(), onlyLoc: loc.length - hitL.size, onlyAcc: acc.length - hitA.size };
}

function joinedPairs(frame: pl.DataFrame): { pairs: string[]; onlyLoc: number; onlyAcc: number } {
  const rows = frame.select("uuid", "loc_timestamp", "acc_timestamp").toRecords() as { uuid: string; loc_timestamp: Date | null; acc_timestamp: Date | null }[];
  const pairs = rows.filter((r) => r.loc_timestamp && r.acc_timestamp).map((r) => `${r.uuid}|${r.loc_timestamp!.getTime()}|${r.acc_timestamp!.getTime()}`);
  return { pairs: pairs.sort(), onlyLoc: rows.filter((r) => !r.acc_timestamp).length, onlyAcc: rows.filter((r) => !r.loc_timestamp).length };
}

describe("micro-batch sizing", function () {
  this.timeout(120_000);
  let root: string;
  beforeEach(() => { root = mkdtempSync(path.join(tmpdir(), "streamlab-batching-")); });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it("the file source reads at most maxFilesPerTrigger files per poll, oldest partition first; once is exhausted after the last", async () => {
    const { files } = writeCourseStream(root, 6, 30, 1);
    const src = fileStreamSource({ dir: path.join(root, "locations"), once: true, maxFilesPerTrigger: 4 });
    let polls = 0, rows = 0, last = -Infinity;
    while (!src.exhausted()) {
      const chunks = await src.poll();
      polls++;
      for (const c of chunks) {
        assert.ok(c.partitionTime! >= last, "partitions come oldest first");
        last = c.partitionTime!;
        rows += c.frame.height;
      }
      assert.ok(src.filesSeen() <= polls * 4, "never more than 4 files a poll");
    }
    const locFiles = src.filesSeen();
    assert.ok(locFiles < files && locFiles > 8);
    assert.equal(polls, Math.ceil(locFiles / 4));
    assert.deepEqual(await src.poll(), []);
    assert.ok(rows > 0);
  });

  it("maxBytesPerTrigger bounds a poll by file size, one file at least", async () => {
    writeCourseStream(root, 4, 20, 2);
    const one = fileStreamSource({ dir: path.join(root, "accelerations"), once: true, maxBytesPerTrigger: 1 });
    await one.poll();
    assert.equal(one.filesSeen(), 1, "a bound smaller than any file still reads one file");
  });

  it("maxRowsPerTrigger stops a poll once it has that many rows (checked every 100 files); the rest comes next", async () => {
    const dir = path.join(root, "big", "locations");
    for (let p = 0; p < 3; p++) {
      mkdirSync(path.join(dir, `t=00${p}.0`), { recursive: true });
      for (let f = 0; f < 100; f++) {
        const uuid = `u${p}-${String(f).padStart(3, "0")}`;
        pl.DataFrame({ uuid: Array(10).fill(uuid), speed: Array(10).fill(1.0), offset: Array(10).fill(p), timestamp: pl.Series("timestamp", Array(10).fill(at(p)), pl.Datetime("ms")) })
          .writeParquet(path.join(dir, `t=00${p}.0`, `${uuid}.parquet`));
      }
    }
    const src = fileStreamSource({ dir, once: true, maxRowsPerTrigger: 1000 });
    const sizes: number[] = [];
    while (!src.exhausted()) sizes.push((await src.poll()).reduce((n, c) => n + c.frame.height, 0));
    assert.deepEqual(sizes, [1000, 1000, 1000], "100 files of 10 rows per poll, not 300");
    assert.throws(() => fileStreamSource({ dir, maxRowsPerTrigger: 0 }), (e: unknown) => isStreamlabError(e, "BAD_OPTION") && e.context.option === "maxRowsPerTrigger");
  });

  it("final results do not depend on batch sizing: windowed and joined, from one file per poll to one batch, and per partition", async () => {
    const { loc, acc } = writeCourseStream(root, 12, 60, 3);
    const runs: { batches: number; windowed: pl.DataFrame; joined: pl.DataFrame }[] = [];
    for (const sizing of [{ maxFilesPerTrigger: 1 }, { maxFilesPerTrigger: 7 }, { maxFilesPerTrigger: 100_000 }, { batchPerPartition: true }]) {
      const w = new MemoryStreamSink(), j = new MemoryStreamSink();
      let batches = 0;
      const common = { input: root, trigger: "once" as const, watermark: "10 seconds", ...sizing };
      await windowedQuery({ ...common, sinks: [w], onProgress: () => batches++ }).awaitTermination();
      await joinedQuery({ ...common, sinks: [j] }).awaitTermination();
      runs.push({ batches, windowed: w.latest(["ride_id", "window_start"]).drop("batch_id"), joined: j.table().drop("batch_id") });
    }
    assert.ok(runs[0].batches > runs[1].batches && runs[1].batches > runs[2].batches, `batch counts ${runs.map((r) => r.batches)}`);
    for (const r of runs.slice(1)) {
      assertFramesEqual(r.windowed, runs[0].windowed, ["ride_id", "window_start"]);
      assertFramesEqual(r.joined, runs[0].joined, ["uuid", "loc_timestamp", "acc_timestamp"]);
    }
    // And the join is the right one: every pair within the bound once, every other row once with nulls.
    assert.deepEqual(joinedPairs(runs[0].joined), expectedJoin(loc, acc));
    // The windowed means are the batch group-by's.
    const expected = pl.DataFrame({ ride_id: loc.map((l) => l.ride_id), t: loc.map((l) => Math.floor(l.t / 15) * 15), speed: loc.map((l) => l.speed) })
      .groupBy(["ride_id", "t"]).agg(pl.col("speed").mean().alias("mean_speed"), pl.col("speed").count().cast(pl.Int64).alias("count"));
    assert.equal(runs[0].windowed.height, expected.height);
    const got = runs[0].windowed.select("ride_id", pl.col("window_start").cast(pl.Int64).alias("ws"), "mean_speed", "count");
    const both = got.join(expected.withColumns(pl.col("t").mul(1000).add(START).cast(pl.Int64).alias("ws")), { on: ["ride_id", "ws"] });
    assert.equal(both.filter(pl.col("mean_speed").sub(pl.col("mean_speed_right")).abs().lt(1e-9).and(pl.col("count").eq(pl.col("count_right")))).height, expected.height);
  });

  it("a bad file among many good ones in one batch is skipped alone, with the dataset reader's code", async () => {
    writeCourseStream(root, 40, 3, 4); // 40 rides, all in t=000.0
    const part = path.join(root, "locations", "t=000.0");
    const good = pl.readParquet(path.join(part, "u000.parquet"));
    writeFileSync(path.join(part, "u500-empty.parquet"), "");
    writeFileSync(path.join(part, "u501-junk.parquet"), "PAR1 not parquet PAR1");
    good.drop("speed").writeParquet(path.join(part, "u502-nospeed.parquet"));
    good.withColumns(pl.col("speed").cast(pl.String)).writeParquet(path.join(part, "u503-textspeed.parquet"));
    const src = fileStreamSource({ dir: path.join(root, "locations"), once: true });
    const chunks = await src.poll();
    assert.equal(chunks.length, 1);
    assert.equal(new Set(chunks[0].frame.getColumn("uuid").toArray()).size, 40, "every good file kept");
    const codes = Object.fromEntries(src.skipped().map((s) => [path.basename(s.path), s.code]));
    assert.deepEqual(codes, { "u500-empty.parquet": "EMPTY_FILE", "u501-junk.parquet": "BAD_PARQUET", "u502-nospeed.parquet": "MISSING_COLUMN", "u503-textspeed.parquet": "BAD_COLUMN_TYPE" });
    assert.ok(src.skipped().every((s) => s.reason.includes(path.basename(s.path))), "each reason names its file");
    assert.equal(src.exhausted(), true);
  });

  it("the join emits each pair once across batch boundaries, however the rows are cut", async () => {
    const rand = rng(9);
    const loc: LocRow[] = [], acc: AccRow[] = [];
    for (const uuid of ["a", "b", "c"]) {
      for (let t = rand(); t < 40; t += 1 + rand() * 2) loc.push({ uuid, ride_id: uuid, t: Math.round(t * 1000) / 1000, speed: 1 });
      for (let t = rand(); t < 40; t += 0.3 + rand() * 0.4) acc.push({ uuid, ride_id: uuid, t: Math.round(t * 1000) / 1000, x: 0 });
    }
    const frame = (rows: { uuid: string; t: number }[]) => pl.DataFrame({ uuid: rows.map((r) => r.uuid), timestamp: pl.Series("timestamp", rows.map((r) => at(r.t)), pl.Datetime("ms")) });
    const expected = expectedJoin(loc, acc);
    for (const cut of [1, 4, 15, 100]) {
      const l = new MemoryStreamSource("locations"), r = new MemoryStreamSource("accelerations");
      // Batches of `cut` seconds of event time: a pair's two rows often land in different batches.
      for (let s = 0; s < 40; s += cut) {
        l.push(frame(loc.filter((x) => x.t >= s && x.t < s + cut)), s);
        r.push(frame(acc.filter((x) => x.t >= s && x.t < s + cut)), s);
      }
      l.end(); r.end();
      const sink = new MemoryStreamSink();
      await runToEnd(readStream(l).withWatermark("timestamp", "5 seconds")
        .join(readStream(r).withWatermark("timestamp", "5 seconds"), { on: "uuid", within: "1.5 seconds", how: "full", leftTimestamp: "loc_timestamp", rightTimestamp: "acc_timestamp" })
        .writeStream({ sinks: [sink], trigger: "once", batchPerPartition: true }));
      assert.deepEqual(joinedPairs(sink.table()), expected, `cut every ${cut} s`);
    }
  });

  it("state rows do not grow with the length of the stream (same rides at a time, 4x longer)", async () => {
    const maxState = async (seconds: number, kind: "windowed" | "joined") => {
      const rows = (step: number) => {
        const out: { uuid: string; t: number }[] = [];
        for (let t = 0; t < seconds; t += step) for (let k = 0; k < 5; k++) out.push({ uuid: `r${k}-${Math.floor(t / 20)}`, t }); // 5 rides at a time, each 20 s long
        return out;
      };
      const frames = (list: { uuid: string; t: number }[]) => {
        const src = new MemoryStreamSource(kind === "joined" && list.length > 0 && list === accRows ? "accelerations" : "locations");
        for (let s = 0; s < seconds; s += 5) {
          const part = list.filter((x) => x.t >= s && x.t < s + 5);
          src.push(pl.DataFrame({ uuid: part.map((x) => x.uuid), ride_id: part.map((x) => x.uuid), speed: part.map(() => 1), timestamp: pl.Series("timestamp", part.map((x) => at(x.t)), pl.Datetime("ms")) }), s);
        }
        return src.end();
      };
      const locRows = rows(1), accRows = rows(0.25);
      let max = 0;
      const onProgress = (p: ProgressRecord) => { max = Math.max(max, p.stateRows); };
      const q = kind === "windowed"
        ? readStream(frames(locRows)).withWatermark("timestamp", "10 seconds").groupBy("ride_id", window("timestamp", "5 seconds")).agg({ n: pl.len() })
          .writeStream({ mode: "update", sinks: [new MemoryStreamSink()], trigger: "once", onProgress })
        : readStream(frames(locRows)).withWatermark("timestamp", "10 seconds")
          .join(readStream(frames(accRows)).withWatermark("timestamp", "10 seconds"), { on: "uuid", within: "1 second", how: "full" })
          .writeStream({ sinks: [new MemoryStreamSink()], trigger: "once", onProgress });
      await runToEnd(q);
      return max;
    };
    for (const kind of ["windowed", "joined"] as const) {
      const short = await maxState(100, kind), long = await maxState(400, kind);
      assert.ok(short > 0 && long <= short * 1.1, `${kind}: max state ${short} rows over 100 s, ${long} over 400 s`);
    }
  });

  it("rejects bad sizing options with BAD_OPTION naming the option", () => {
    const option = (o: string) => (e: unknown) => isStreamlabError(e, "BAD_OPTION") && e.context.option === o;
    assert.throws(() => fileStreamSource({ dir: root, maxFilesPerTrigger: 0 }), option("maxFilesPerTrigger"));
    assert.throws(() => fileStreamSource({ dir: root, maxFilesPerTrigger: 2.5 }), option("maxFilesPerTrigger"));
    assert.throws(() => fileStreamSource({ dir: root, maxBytesPerTrigger: -1 }), option("maxBytesPerTrigger"));
    assert.throws(() => readStream(new MemoryStreamSource("s")).writeStream({ sinks: [new MemoryStreamSink()], batchPerPartition: "yes" as never }), option("batchPerPartition"));
  });
});
