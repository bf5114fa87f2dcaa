import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import ngeohash from "ngeohash";
import pl from "nodejs-polars";
import { discoverDataset, loadDataset, readPartition } from "../../lib/dataset";
import { ROW_WINDOW } from "../../lib/generate/ride";
import { generateDataset, GENERATE_DEFAULTS, type GenerateProgress } from "../../lib/generate";
import { isStreamlabError } from "../../lib/errors";
import { REAL_BDD, requireRealData, tempDir, writeBytes } from "../fixtures/dataset";

const SHIPPED = path.resolve(__dirname, "../../data/bdd");

/** Relative paths of every file under `root`, sorted. */
function listFiles(root: string, rel = ""): string[] {
  return readdirSync(path.join(root, rel), { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? listFiles(root, path.join(rel, e.name)) : [path.join(rel, e.name)]))
    .sort();
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Per ride, the gaps between consecutive offsets. */
function gapsPerRide(frame: pl.DataFrame): number[][] {
  const byRide = new Map<string, number[]>();
  const uuids = frame.getColumn("uuid").toArray() as string[];
  const offsets = frame.getColumn("offset").toArray() as number[];
  uuids.forEach((u, i) => byRide.set(u, [...(byRide.get(u) ?? []), offsets[i]]));
  return [...byRide.values()].map((o) => o.sort((a, b) => a - b).slice(1).map((x, i) => x - o[i]));
}

/** The rates the generator models, checked on its output and on the real data alike. */
function assertRealisticRates(locations: pl.DataFrame, accelerations: pl.DataFrame): void {
  const m = median(gapsPerRide(locations).flat());
  assert.ok(m >= 2.5 && m <= 4.5, `median GPS gap ${m}`);
  for (const gaps of gapsPerRide(accelerations)) {
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    assert.ok(mean > 0.045 && mean < 0.075, `mean accelerometer gap ${mean}`);
    assert.ok(Math.abs(median(gaps) - 0.02) < 0.002, `median accelerometer gap ${median(gaps)}`);
  }
}

describe("generate: generateDataset", function () {
  this.timeout(120_000);
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir("generate")));
  afterEach(() => cleanup());

  it("is deterministic for a seed: same files, byte for byte", async () => {
    const a = await generateDataset({ rides: 4, duration: 60, seed: 7, out: path.join(dir, "a") });
    const b = await generateDataset({ rides: 4, duration: 60, seed: 7, out: path.join(dir, "b") });
    const files = listFiles(a.out);
    assert.ok(files.length > 10);
    assert.deepEqual(listFiles(b.out), files);
    for (const f of files) assert.ok(readFileSync(path.join(a.out, f)).equals(readFileSync(path.join(b.out, f))), f);
    assert.deepEqual({ ...b, out: "" }, { ...a, out: "" });
  });

  it("writes different data for different seeds", async () => {
    const a = await generateDataset({ rides: 3, duration: 45, seed: 1, out: path.join(dir, "a") });
    const b = await generateDataset({ rides: 3, duration: 45, seed: 2, out: path.join(dir, "b") });
    const names = (root: string) => new Set(listFiles(root).map((f) => path.basename(f)));
    const shared = [...names(a.out)].filter((n) => names(b.out).has(n));
    assert.deepEqual(shared, []);
  });

  it("writes the BDD layout, one <uuid>.parquet per ride per partition, and reports what it wrote", async () => {
    const progress: GenerateProgress[] = [];
    const s = await generateDataset({ rides: 5, duration: 90, seed: 3, out: dir, onProgress: (p) => progress.push(p) });
    const files = listFiles(dir);
    assert.equal(s.files, files.length);
    for (const f of files) assert.match(f, /^(locations|accelerations)\/t=\d{3}\.\d\/[0-9a-f]{32}\.parquet$/);
    const { frames, skipped } = await loadDataset(dir);
    assert.deepEqual(skipped, []);
    assert.equal(frames.locations?.height, s.rows.locations);
    assert.equal(frames.accelerations?.height, s.rows.accelerations);
    assert.equal(frames.locations?.getColumn("uuid").nUnique(), 5);
    const sizes = files.reduce((n, f) => n + readFileSync(path.join(dir, f)).length, 0);
    assert.equal(s.bytes, sizes);
    // File name = the uuid of every row in it.
    const scan = await discoverDataset(dir);
    const data = await readPartition(scan.partitions.accelerations[2]);
    for (const f of data.files) assert.deepEqual(f.frame.getColumn("uuid").unique().toArray(), [f.name.replace(".parquet", "")]);
    // Progress: one record per partition time, counts never decrease, the last equals the summary.
    assert.equal(progress.at(-1)?.partitions, progress.at(-1)?.partitionsTotal);
    for (let i = 1; i < progress.length; i++) assert.ok(progress[i].rows.accelerations >= progress[i - 1].rows.accelerations);
    assert.deepEqual(progress.at(-1)?.rows, s.rows);
    assert.equal(progress.at(-1)?.files, s.files);
  });

  it("has realistic rates and offsets: GPS fixes ~3 s apart, accelerometer ~58 ms on average (20 ms within a burst)", async () => {
    await generateDataset({ rides: 8, duration: 120, seed: 11, out: dir });
    const { frames, scan } = await loadDataset(dir);
    assertRealisticRates(frames.locations!, frames.accelerations!);
    // Each row's offset relative to its partition time stays within the real data's spread.
    for (const table of ["locations", "accelerations"] as const) {
      for (const p of scan.partitions[table]) {
        for (const f of (await readPartition(p)).files) {
          for (const o of f.frame.getColumn("offset").toArray() as number[]) {
            assert.ok(o - p.time >= -ROW_WINDOW.before - 1e-9 && o - p.time <= ROW_WINDOW.after + 1e-9, `${f.path}: offset ${o}`);
          }
        }
      }
    }
    // Partition spacing is irregular, 2.8–4.8 s.
    const times = scan.partitions.accelerations.map((p) => p.time);
    const steps = times.slice(1).map((t, i) => t - times[i]);
    assert.ok(steps.every((s) => s >= 2.79), `steps ${steps}`);
    assert.ok(new Set(steps.map((s) => s.toFixed(1))).size > 3, "irregular spacing");
  });

  it("models rates the real data has too (so the checks above are the real ones)", async function () {
    requireRealData(this);
    const { frames } = await loadDataset(REAL_BDD);
    assertRealisticRates(frames.locations!, frames.accelerations!);
  });

  it("gives every ride gravity, ~1 g on average as in the real data (regression: one ride in five had none)", async () => {
    await generateDataset({ rides: 20, duration: 60, seed: 3, out: dir });
    assertGravityPerRide((await loadDataset(dir)).frames.accelerations!);
  });

  it("checks gravity the way the real data has it (so the check above is the real one)", async function () {
    requireRealData(this);
    assertGravityPerRide((await loadDataset(REAL_BDD)).frames.accelerations!);
  });

  it("writes plausible GPS values: Bay Area positions, a matching 12-char geohash, speeds in m/s", async () => {
    await generateDataset({ rides: 6, duration: 80, seed: 5, out: dir });
    const loc = (await loadDataset(dir)).frames.locations!;
    for (const r of loc.toRecords() as Record<string, number | string>[]) {
      assert.ok(Number(r.latitude) > 37.6 && Number(r.latitude) < 38.0 && Number(r.longitude) > -122.6 && Number(r.longitude) < -122.1);
      assert.equal(String(r.geohash).length, 12);
      const d = ngeohash.decode(String(r.geohash));
      assert.ok(Math.abs(d.latitude - Number(r.latitude)) < 1e-6 && Math.abs(d.longitude - Number(r.longitude)) < 1e-6);
      assert.ok(r.speed === -1 || (Number(r.speed) >= 0 && Number(r.speed) <= 30), `speed ${r.speed}`);
      assert.ok(r.course === -1 || (Number(r.course) >= 0 && Number(r.course) < 360), `course ${r.course}`);
    }
  });

  it("has the real data's column names and dtypes, in order", async function () {
    requireRealData(this);
    await generateDataset({ rides: 2, duration: 40, seed: 9, out: dir });
    const dtypes = (f: pl.DataFrame) => f.columns.map((c, i) => `${c}:${f.dtypes[i].toString()}`);
    for (const table of ["locations", "accelerations"] as const) {
      const real = await readPartition((await discoverDataset(REAL_BDD, { tables: [table] })).partitions[table][5]);
      const ours = await readPartition((await discoverDataset(dir, { tables: [table] })).partitions[table][1]);
      assert.deepEqual(dtypes(ours.files[0].frame), dtypes(real.files[0].frame));
    }
  });

  it("refuses a non-empty output folder unless force, and force replaces only the table folders", async () => {
    writeBytes(dir, "keep.txt", "mine");
    writeBytes(dir, "locations/t=999.0/old.parquet", "old");
    await assert.rejects(generateDataset({ rides: 1, duration: 10, out: dir }), (e: unknown) => isStreamlabError(e, "BAD_OPTION") && e.context.option === "out" && /--force/.test(e.message));
    assert.ok(existsSync(path.join(dir, "locations/t=999.0/old.parquet")), "nothing deleted without force");
    await generateDataset({ rides: 1, duration: 10, out: dir, force: true });
    assert.ok(!existsSync(path.join(dir, "locations/t=999.0")));
    assert.equal(readFileSync(path.join(dir, "keep.txt"), "utf8"), "mine");
  });

  for (const [option, value] of [["rides", 0], ["rides", 2.5], ["duration", -1], ["duration", Number.NaN], ["seed", -1], ["seed", 1.5], ["out", ""]] as const) {
    it(`rejects ${option}=${String(value)} with BAD_OPTION naming the option`, async () => {
      await assert.rejects(generateDataset({ [option]: value, out: option === "out" ? "" : path.join(dir, "x") }), (e: unknown) => isStreamlabError(e, "BAD_OPTION") && e.context.option === option);
      assert.ok(!existsSync(path.join(dir, "x")), "nothing written");
    });
  }

  it("stops between partitions when its signal is aborted", async () => {
    const controller = new AbortController();
    const seen: number[] = [];
    const run = generateDataset({ rides: 3, duration: 60, out: dir, signal: controller.signal, onProgress: (p) => { seen.push(p.partitions); if (p.partitions === 2) controller.abort(); } });
    await assert.rejects(run, (e: unknown) => isStreamlabError(e, "ABORTED"));
    assert.deepEqual(seen, [1, 2]);
  });

  it("reproduces the shipped sample data/bdd with its default options", async function () {
    if (!existsSync(SHIPPED)) assert.fail(`the shipped sample ${SHIPPED} is missing: run "npx streamlab generate"`);
    const s = await generateDataset({ out: dir });
    assert.equal(s.seed, GENERATE_DEFAULTS.seed);
    const files = listFiles(SHIPPED);
    assert.deepEqual(listFiles(dir), files);
    for (const f of files) {
      const table = f.startsWith("locations") ? "locations" : "accelerations";
      const [ours, shipped] = [dir, SHIPPED].map((root) => pl.readParquet(path.join(root, f)));
      assert.ok(ours.frameEqual(shipped, true), `${table}: ${f} differs`);
    }
  });
});

/** Each ride's mean acceleration magnitude sqrt(x²+y²+z²), in g, is close to 1 (the phone feels gravity). */
function assertGravityPerRide(accelerations: pl.DataFrame): void {
  const magnitude = pl.col("x").pow(2).add(pl.col("y").pow(2)).add(pl.col("z").pow(2)).pow(0.5);
  const perRide = accelerations.groupBy("uuid").agg(magnitude.mean().alias("g"));
  for (const g of perRide.getColumn("g").toArray() as number[]) assert.ok(g > 0.9 && g < 1.1, `mean magnitude ${g} g`);
}
