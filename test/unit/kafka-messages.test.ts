import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { frameToMessages, rowToJson } from "../../lib/kafka/messages";
import { jsonMessagesToFrame, messagesToFrame, messagesToFrameByRow, valuesInBulk } from "../../lib/kafka/frame";
import { formatMessage } from "../../lib/kafka/consumer";
import type { ConsumedMessage } from "../../lib/kafka/types";
import { isStreamlabError } from "../../lib/errors";

function source(): pl.DataFrame {
  return pl.DataFrame({
    uuid: ["r1", "r2", "r1"],
    offset: [0.5, 1.25, 3],
    speed: [1.5, null, 2],
    timelapse: [false, true, false],
    timestamp: [new Date("2026-11-20T10:00:00.500Z"), new Date("2026-11-20T10:00:01.250Z"), new Date("2026-11-20T10:00:03Z")],
  }).withColumn(pl.col("timestamp").cast(pl.Datetime("ms")));
}

function consumed(messages: Array<{ key: string | null; value: string }>): ConsumedMessage[] {
  return messages.map((m, i) => ({ topic: "t", partition: i % 2, offset: i, key: m.key, value: JSON.parse(m.value), raw: m.value, timestamp: new Date(1_000 + i) }));
}

describe("kafka messages", () => {
  it("turns rows into JSON values keyed by a column, timestamps as ISO-8601", () => {
    const messages = frameToMessages(source(), { keyField: "uuid" });
    assert.deepEqual(messages.map((m) => m.key), ["r1", "r2", "r1"]);
    assert.deepEqual(JSON.parse(messages[1].value), { uuid: "r2", offset: 1.25, speed: null, timelapse: true, timestamp: "2026-11-20T10:00:01.250Z" });
  });

  it("writes values in bulk that parse to the same JSON as row by row, and goes row by row for types whose JSON could differ", () => {
    const t = (ms: number) => new Date(Date.UTC(2026, 10, 20, 10, 0, 0, ms));
    const frames = [
      source().withColumns(pl.lit("a\"b\\c").alias("text"), pl.lit(null).alias("nothing"), pl.col("timestamp").cast(pl.Datetime("us")).alias("t_us")),
      pl.DataFrame({ f: [1.5, Number.NaN, Infinity, -Infinity, null], k: ["a", "b", "c", "d", "e"] }),
      pl.DataFrame({ f: pl.Series("f", [Number.NaN, 2.5], pl.Float32), k: ["a", "b"] }),
      pl.DataFrame({ big: pl.Series("big", [2n ** 60n, 1n], pl.Int64), k: ["a", "b"] }),
      pl.DataFrame({ k: ["a", "b"], at: pl.Series("at", [t(1), t(999)], pl.Datetime("ms")) }),
    ];
    for (const frame of frames) {
      const got = frameToMessages(frame, { keyField: frame.columns.includes("uuid") ? "uuid" : "k" });
      const rows = frame.toRecords().map((r) => rowToJson(r as Record<string, unknown>));
      assert.deepEqual(got.map((m) => JSON.parse(m.value)), rows.map((r) => JSON.parse(r)), String(frame));
    }
  });

  it("leaves the key null without keyField", () => {
    assert.deepEqual(frameToMessages(source()).map((m) => m.key), [null, null, null]);
  });

  it("names a missing key column", () => {
    assert.throws(() => frameToMessages(source(), { keyField: "ride" }), (e) => isStreamlabError(e, "BAD_OPTION") && e.context.option === "keyField");
  });

  it("serialises bigint and dates", () => {
    assert.equal(rowToJson({ a: 5n, d: new Date(0) }), '{"a":5,"d":"1970-01-01T00:00:00.000Z"}');
  });

  it("round-trips a frame through messages back to the same columns", () => {
    const frame = messagesToFrame(consumed(frameToMessages(source(), { keyField: "uuid" })));
    assert.deepEqual(frame.columns, ["topic", "partition", "offset", "key", "timestamp", "uuid", "value.offset", "speed", "timelapse", "value.timestamp"]);
    const back = frame.select("uuid", "value.offset", "speed", "timelapse", "value.timestamp").rename({ "value.offset": "offset", "value.timestamp": "timestamp" });
    assert.ok(back.frameEqual(source(), true), `${back}\n!=\n${source()}`);
    assert.deepEqual(frame.getColumn("key").toArray(), ["r1", "r2", "r1"]);
    assert.equal(String(frame.getColumn("timestamp").dtype), String(pl.Datetime("ms")));
  });

  it("flattens nested objects and keeps mixed values as JSON text", () => {
    const frame = messagesToFrame(consumed([
      { key: null, value: JSON.stringify({ a: { b: 1 }, m: 1 }) },
      { key: "k", value: JSON.stringify({ a: { b: 2 }, m: "x", extra: [1, 2] }) },
    ]));
    assert.deepEqual(frame.getColumn("a.b").toArray(), [1, 2]);
    assert.deepEqual(frame.getColumn("m").toArray(), ["1", "x"]);
    assert.deepEqual(frame.getColumn("extra").toArray(), [null, "[1,2]"]);
  });

  it("reads values in bulk into the same frame as message by message (names, types, values), and falls back where they could differ", () => {
    const cases: Array<Array<Record<string, unknown>>> = [
      // BDD-like rows: clashing names (offset, timestamp), ISO times, numbers with and without decimals, nulls, a field met late.
      Array.from({ length: 300 }, (_, i) => ({ uuid: `r${i % 3}`, offset: i / 4, speed: i % 5 === 0 ? null : i, timelapse: i % 2 === 0, timestamp: new Date(1_700_000_000_000 + i * 250).toISOString(), ...(i === 250 ? { late: "x" } : {}) })),
      [{ a: 1, n: null }, { a: 2.5, n: null }],
      [{ t: "2020-01-01T00:00:00.000Z" }, { t: "not a time" }],
      // Falls back: nested objects, arrays, ISO times with an offset.
      [{ a: { b: 1 } }, { a: { b: 2 } }],
      [{ x: [1, 2] }, { x: null }],
      [{ t: "2020-01-01T00:00:00+01:00" }],
    ];
    for (const [i, rows] of cases.entries()) {
      const messages = consumed(rows.map((r, i) => ({ key: `k${i % 2}`, value: JSON.stringify(r) })));
      assert.equal(valuesInBulk(messages, true) !== null, i < 3, `case ${i}: ${i < 3 ? "bulk" : "message by message"}`);
      const bulk = messagesToFrame(messages);
      const byRow = messagesToFrameByRow(messages);
      assert.deepEqual(bulk.columns, byRow.columns, JSON.stringify(rows[0]));
      assert.deepEqual(bulk.dtypes.map(String), byRow.dtypes.map(String), JSON.stringify(rows[0]));
      assert.ok(bulk.frameEqual(byRow, true), `${bulk}\n!=\n${byRow}`);
    }
  });

  it("builds the same frame from unparsed JSON values (readTopic's path) as from parsed ones, in bulk or not, text values included", () => {
    const cases: Array<Array<string | null>> = [
      Array.from({ length: 50 }, (_, i) => JSON.stringify({ uuid: `r${i % 3}`, offset: i / 4, timestamp: new Date(1_700_000_000_000 + i).toISOString(), ...(i === 40 ? { late: 1 } : {}) })),
      [JSON.stringify({ a: { b: 1 } }), JSON.stringify({ a: { b: 2 } })],
      ['{"a":1}', "not json", null],
      [],
    ];
    for (const raws of cases) {
      const unparsed: ConsumedMessage[] = raws.map((raw, i) => ({ topic: "t", partition: 0, offset: i, key: null, value: raw, raw, timestamp: new Date(i) }));
      const parsed = unparsed.map((m) => {
        let value: unknown = m.raw;
        try { value = m.raw === null ? null : JSON.parse(m.raw); } catch { /* text stays text, as the consumer's parseJson */ }
        return { ...m, value };
      });
      const got = jsonMessagesToFrame(unparsed), want = messagesToFrame(parsed);
      assert.deepEqual(got.columns, want.columns, String(raws[0]));
      assert.deepEqual(got.dtypes.map(String), want.dtypes.map(String));
      assert.ok(got.frameEqual(want, true), `${got}\n!=\n${want}`);
    }
  });

  it("builds an empty frame with the message columns", () => {
    const frame = messagesToFrame([]);
    assert.deepEqual(frame.columns, ["topic", "partition", "offset", "key", "timestamp"]);
    assert.equal(frame.height, 0);
  });

  it("prints topic, partition, offset, key and pretty JSON", () => {
    const [m] = consumed([{ key: "r1", value: '{"a":1}' }]);
    assert.equal(formatMessage(m), 't [partition 0] offset 0 key r1\n{\n  "a": 1\n}');
  });
});
