import assert from "node:assert/strict";
import { existsSync, mkdtempSync, promises as fs, readdirSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pl from "nodejs-polars";
import { isStreamlabError, OptionError } from "../../lib/errors";
import type { ReleaseBatch } from "../../lib/replay/types";
import { createSink, FileSink, MemorySink } from "../../lib/sinks";
import { fakeFrame } from "./replay-fakes";

function batch(partition: string, names: string[], table: "locations" | "accelerations" = "locations"): ReleaseBatch {
  const files = names.map((name, i) => ({ path: `/src/${name}`, name, frame: fakeFrame(name, [i, i + 0.5]) }));
  return { table, partition, dueOffset: 0, loop: 0, files, rows: files.length * 2 };
}

/** Every file under dir, relative, sorted. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as import("node:fs").Dirent[])
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath ?? (e as unknown as { path: string }).path, e.name)))
    .sort();
}

describe("FileSink", () => {
  let out: string;
  beforeEach(() => {
    out = mkdtempSync(path.join(os.tmpdir(), "streamlab-sink-"));
  });
  afterEach(() => rmSync(out, { recursive: true, force: true }));

  it("moves each file from staging/ into input/<table>/t=SSS.S/<name> with the same rows", async () => {
    const sink = new FileSink({ out });
    await sink.open();
    const b = batch("t=004.5", ["u1.parquet", "u2.parquet"]);
    await sink.write(b);
    await sink.close();
    assert.deepEqual(filesUnder(path.join(out, "input")), ["locations/t=004.5/u1.parquet", "locations/t=004.5/u2.parquet"]);
    for (const f of b.files) assert.ok(pl.readParquet(path.join(out, "input/locations/t=004.5", f.name)).frameEqual(f.frame));
    assert.deepEqual(filesUnder(path.join(out, "staging")), []);
    assert.deepEqual(sink.stats(), { batches: 1, files: 2, rows: 4 });
  });

  it("prepare() stages without publishing; write() then only renames", async () => {
    const sink = new FileSink({ out });
    await sink.open();
    const b = batch("t=000.0", ["u1.parquet"], "accelerations");
    await sink.prepare(b);
    assert.deepEqual(filesUnder(path.join(out, "staging")), ["accelerations/t=000.0/u1.parquet"]);
    assert.deepEqual(filesUnder(path.join(out, "input")), []);
    await sink.write(b);
    assert.deepEqual(filesUnder(path.join(out, "staging")), []);
    assert.deepEqual(filesUnder(path.join(out, "input")), ["accelerations/t=000.0/u1.parquet"]);
  });

  it("close() deletes files staged but never released, leaving staging/ empty", async () => {
    const sink = new FileSink({ out });
    await sink.open();
    await sink.prepare(batch("t=001.0", ["u1.parquet", "u2.parquet"]));
    await sink.close();
    assert.deepEqual(filesUnder(path.join(out, "staging")), []);
    assert.deepEqual(readdirSync(path.join(out, "staging")), []);
    assert.deepEqual(filesUnder(path.join(out, "input")), []);
  });

  it("clears staging/ and input/ at open, and nothing else in the output folder", async () => {
    mkdirSync(path.join(out, "input/locations/t=000.0"), { recursive: true });
    writeFileSync(path.join(out, "input/locations/t=000.0/old.parquet"), "old");
    mkdirSync(path.join(out, "staging/locations"), { recursive: true });
    writeFileSync(path.join(out, "staging/locations/partial.parquet"), "PAR1");
    writeFileSync(path.join(out, "notes.txt"), "mine");
    await new FileSink({ out }).open();
    assert.deepEqual(filesUnder(path.join(out, "input")), []);
    assert.deepEqual(filesUnder(path.join(out, "staging")), []);
    assert.ok(existsSync(path.join(out, "notes.txt")));
  });

  it("with keep, appends to input/ and never overwrites a file of the same name", async () => {
    const first = new FileSink({ out });
    await first.open();
    await first.write(batch("t=000.0", ["u1.parquet"]));
    await first.close();
    const second = new FileSink({ out, keep: true });
    await second.open();
    await second.write(batch("t=000.0", ["u1.parquet", "u2.parquet"]));
    await second.write(batch("t=000.0", ["u1.parquet"]));
    await second.close();
    assert.deepEqual(filesUnder(path.join(out, "input/locations/t=000.0")), ["u1-1.parquet", "u1-2.parquet", "u1.parquet", "u2.parquet"]);
  });

  it("fails with a SinkError naming the path when the output folder cannot be made", async () => {
    const blocker = path.join(out, "a-file");
    writeFileSync(blocker, "not a folder");
    const sink = new FileSink({ out: blocker });
    await assert.rejects(sink.open(), (e: unknown) => isStreamlabError(e, "SINK_IO") && String(e.context.path).startsWith(blocker));
  });

  it("fails with a SinkError naming the file when a staged file vanished before its release", async () => {
    const sink = new FileSink({ out });
    await sink.open();
    const b = batch("t=000.0", ["u1.parquet"]);
    await sink.prepare(b);
    await fs.rm(path.join(out, "staging"), { recursive: true });
    await assert.rejects(sink.write(b), (e: unknown) => isStreamlabError(e, "SINK_IO") && String(e.context.path).endsWith("u1.parquet"));
  });

  it("rejects bad options by name", () => {
    assert.throws(() => new FileSink({ out: "" }), (e: unknown) => e instanceof OptionError && e.context.option === "out");
    assert.throws(() => new FileSink({ keep: "yes" as unknown as boolean }), (e: unknown) => e instanceof OptionError && e.context.option === "keep");
  });
});

describe("createSink", () => {
  it("builds a FileSink for files with the given folder", () => {
    const sink = createSink("files", { out: "/tmp/somewhere" });
    assert.ok(sink instanceof FileSink);
    assert.equal((sink as FileSink).out, "/tmp/somewhere");
  });

  it("rejects an unknown kind naming the sink option", () => {
    assert.throws(() => createSink("s3" as "files"), (e: unknown) => e instanceof OptionError && e.context.option === "sink");
  });
});

describe("MemorySink", () => {
  it("keeps every batch and counts rows", async () => {
    const sink = new MemorySink();
    await sink.write(batch("t=000.0", ["a.parquet", "b.parquet"]));
    assert.equal(sink.batches.length, 1);
    assert.deepEqual(sink.stats(), { batches: 1, rows: 4 });
  });
});
