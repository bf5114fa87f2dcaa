import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pl from "nodejs-polars";
import { isStreamlabError, SinkError } from "../../lib/errors";
import { causeOf, ioReason, isTempName, publish, stage, tempPathFor, writeFileAtomic, writeFileAtomicSync } from "../../lib/files/atomic";

/** A SinkError (SINK_IO) naming `file` whose message contains `text`. */
const sinkErrorOn = (file: string, text: string) => (e: unknown) =>
  isStreamlabError(e, "SINK_IO") && e.context.path === file && e.message.startsWith(`${file}: `) && e.message.includes(text);

describe("atomic file writer (lib/files/atomic.ts)", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "streamlab-atomic-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  describe("writeFileAtomic", () => {
    it("writes bytes and text, replaces an existing file, and leaves no temp file", async () => {
      const target = path.join(dir, "a.json");
      await writeFileAtomic(target, "first");
      await writeFileAtomic(target, new TextEncoder().encode("second"));
      await writeFileAtomic(target, "third", { sync: false });
      assert.equal(readFileSync(target, "utf8"), "third");
      assert.deepEqual(readdirSync(dir), ["a.json"]);
    });

    it("lets a function write the staged path (a parquet writer) and publishes what it wrote", async () => {
      const frame = pl.DataFrame({ uuid: ["a", "b"], speed: [1.5, 2.5] });
      const target = path.join(dir, "batch-000001.parquet");
      let stagedAt = "";
      await writeFileAtomic(target, (p) => {
        stagedAt = p;
        frame.writeParquet(p);
      });
      assert.ok(isTempName(path.basename(stagedAt)), `staged under a hidden temp name, got ${stagedAt}`);
      assert.equal(path.dirname(stagedAt), dir, "staged beside the target (same file system)");
      assert.ok(pl.readParquet(target).frameEqual(frame));
      assert.deepEqual(readdirSync(dir), ["batch-000001.parquet"]);
    });

    it("fails with a SinkError naming the target when its folder is missing", async () => {
      const target = path.join(dir, "missing", "a.parquet");
      await assert.rejects(writeFileAtomic(target, "x"), sinkErrorOn(target, "could not write the file (ENOENT"));
      assert.deepEqual(readdirSync(dir), []);
    });

    it("removes the temp file when the writer function fails, and words the error with explain", async () => {
      const target = path.join(dir, "a.parquet");
      const err = await writeFileAtomic(target, (p) => {
        writeFileSync(p, "half");
        throw new Error("disk full");
      }, { explain: (e) => `cannot write parquet: ${(e as Error).message}` }).catch((e: unknown) => e);
      assert.ok(sinkErrorOn(target, "cannot write parquet: disk full")(err), String(err));
      assert.equal((causeOf(err) as Error).message, "disk full");
      assert.deepEqual(readdirSync(dir), [], "neither the target nor the temp file is left");
    });
  });

  describe("writeFileAtomicSync", () => {
    it("writes in place of the old file without leaving a temp file", () => {
      const target = path.join(dir, "progress.json");
      writeFileSync(target, "old");
      writeFileAtomicSync(target, JSON.stringify({ released: 3 }), { sync: false });
      assert.deepEqual(JSON.parse(readFileSync(target, "utf8")), { released: 3 });
      assert.deepEqual(readdirSync(dir), ["progress.json"]);
    });

    it("keeps the old file and removes the temp file when the write fails", () => {
      const target = path.join(dir, "events.parquet");
      writeFileSync(target, "old");
      assert.throws(() => writeFileAtomicSync(target, (p) => {
        writeFileSync(p, "half");
        throw new Error("no space");
      }), sinkErrorOn(target, "could not write the file (no space)"));
      assert.equal(readFileSync(target, "utf8"), "old");
      assert.deepEqual(readdirSync(dir), ["events.parquet"]);
    });
  });

  describe("stage + publish", () => {
    it("stages at the given path (visible there only) and publish moves it into place", async () => {
      const staged = path.join(dir, "staging-a.parquet");
      const target = path.join(dir, "input-a.parquet");
      await stage("rows", staged, { sync: false });
      assert.equal(readFileSync(staged, "utf8"), "rows");
      assert.equal(existsSync(target), false, "not published before publish()");
      await publish(staged, target);
      assert.equal(readFileSync(target, "utf8"), "rows");
      assert.equal(existsSync(staged), false);
    });

    it("a failed stage leaves nothing at the staged path and names it", async () => {
      const staged = path.join(dir, "a.parquet");
      await assert.rejects(stage((p) => {
        writeFileSync(p, "half");
        throw new Error("boom");
      }, staged), sinkErrorOn(staged, "(boom)"));
      assert.equal(existsSync(staged), false);
    });

    it("a failed publish names the target and says what explain says", async () => {
      const target = path.join(dir, "input", "a.parquet");
      await assert.rejects(
        publish(path.join(dir, "gone.parquet"), target, { explain: (e) => `cannot move it into place: ${ioReason(e)}.` }),
        sinkErrorOn(target, "cannot move it into place: ENOENT ("),
      );
    });
  });

  it("temp names are hidden, end in .tmp, sit beside the target and differ when unique", () => {
    const target = path.join(dir, "batch-000003.parquet");
    const plain = tempPathFor(target);
    assert.equal(plain, path.join(dir, `.batch-000003.parquet.${process.pid}.tmp`));
    const a = tempPathFor(target, true), b = tempPathFor(target, true);
    assert.notEqual(a, b);
    for (const p of [plain, a, b]) assert.ok(isTempName(path.basename(p)), p);
    assert.equal(isTempName("batch-000003.parquet"), false);
    assert.equal(isTempName(".hidden"), false);
  });

  it("ioReason shows an I/O error's code; causeOf unwraps a SinkError", () => {
    const io = Object.assign(new Error("no space left"), { code: "ENOSPC" });
    assert.equal(ioReason(io), "ENOSPC (no space left)");
    assert.equal(ioReason(new Error("plain")), "plain");
    assert.equal(causeOf(new SinkError("/x", "failed", io)), io);
    const other = new Error("not wrapped");
    assert.equal(causeOf(other), other);
  });
});
