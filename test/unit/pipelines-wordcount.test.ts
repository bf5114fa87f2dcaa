import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { isStreamlabError } from "../../lib/errors";
import { linesFrame, MemoryStreamSink, MemoryStreamSource } from "../../lib/stream";
import { batchWordCount, splitWords, wordCount } from "../../lib/pipelines/wordcount";

const LINES = ["To be, or not to be", "that is the question", "TO BE or", "", "café Café's"];

/** The latest count of each word in an update changelog: the row with the highest batch_id. */
function latest(sink: MemoryStreamSink): Array<{ word: string; count: number }> {
  const t = sink.table().sort(["word", "batch_id"]).groupBy("word").agg(pl.col("count").last()).sort("word");
  return t.toRecords().map((r) => ({ word: String(r.word), count: Number(r.count) }));
}

describe("word count (engine, memory source)", () => {
  it("splits lines into lower-case words on punctuation and spaces", () => {
    assert.deepEqual(splitWords("To be, or NOT to-be!"), ["to", "be", "or", "not", "to", "be"]);
    assert.deepEqual(splitWords("Café's  naïve"), ["café's", "naïve"]);
    assert.deepEqual(splitWords("  "), []);
  });

  for (const mode of ["update", "complete"] as const) {
    it(`${mode} mode ends with the batch count of all lines`, async () => {
      const src = new MemoryStreamSource("lines", [], { perPoll: 1 });
      LINES.forEach((l, i) => src.push(linesFrame([l], [i])));
      src.end();
      const sink = new MemoryStreamSink();
      await wordCount(src, { mode, sinks: [sink] }).awaitTermination();
      const expected = batchWordCount(LINES);
      if (mode === "update") assert.deepEqual(latest(sink), expected);
      else {
        // Complete: the last batch alone is the whole table.
        const t = sink.table();
        const last = t.filter(pl.col("batch_id").eq(t.getColumn("batch_id").max())).sort("word");
        assert.deepEqual(last.toRecords().map((r) => ({ word: String(r.word), count: Number(r.count) })), expected);
      }
    });
  }

  it("update mode emits only the words whose count changed in a batch", async () => {
    const src = new MemoryStreamSource("lines", [{ frame: linesFrame(["a b"], [0]) }, { frame: linesFrame(["b"], [1]) }], { perPoll: 1 });
    src.end();
    const sink = new MemoryStreamSink();
    await wordCount(src, { mode: "update", sinks: [sink] }).awaitTermination();
    const second = sink.table().filter(pl.col("batch_id").eq(1));
    assert.deepEqual(second.select("word", "count").toRecords().map((r) => [r.word, Number(r.count)]), [["b", 2]]);
  });

  it("rejects append mode with BAD_OPTION", () => {
    assert.throws(() => wordCount(new MemoryStreamSource("lines"), { mode: "append" as never, sinks: [] }), (e) => isStreamlabError(e, "BAD_OPTION"));
  });
});
