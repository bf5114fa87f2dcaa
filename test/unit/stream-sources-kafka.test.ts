import { strict as assert } from "node:assert";
import { isStreamlabError } from "../../lib/errors";
import type { ConsumedMessage } from "../../lib/kafka/types";
import { kafkaSink } from "../../lib/stream/sinks/kafka";
import { kafkaSource, messagesToRows, valuesToRows } from "../../lib/stream/sources/kafka";

const message = (offset: number, value: unknown): ConsumedMessage => ({
  topic: "P-locations", partition: 0, offset, key: "u1", value, raw: JSON.stringify(value), timestamp: new Date(0),
});

describe("valuesToRows (the bulk NDJSON path)", () => {
  const values = [
    { uuid: "u1", timestamp: "2020-01-01T00:00:01.250Z", offset: 1, speed: 3, timelapse: false, note: null },
    { uuid: "u2", timestamp: "2020-01-01T00:00:04Z", offset: 4.5, speed: null, timelapse: true, note: null, extra: 7 },
    { uuid: "u1", timestamp: null, offset: 6, speed: 2.25, timelapse: false, note: null },
  ];

  it("gives the same frame as the per-message path: numbers as Float64, ISO timestamps as Datetime(ms), missing fields null", () => {
    const bulk = valuesToRows(values.map((v) => JSON.stringify(v)), ["timestamp"]);
    const slow = messagesToRows(values.map((v, i) => message(i, v)), ["timestamp"]);
    assert.ok(bulk !== null);
    assert.deepEqual(bulk.columns, slow.columns);
    assert.deepEqual(bulk.dtypes.map(String), slow.dtypes.map(String));
    assert.ok(bulk.frameEqual(slow, true), `${bulk}\n${slow}`);
  });

  it("hands over to the per-message path (null) when it cannot promise the same frame", () => {
    const cases: string[][] = [
      ['{"a":1}', "not json"],
      ['{"a":1}', "[1,2]"],
      ['{"a":{"b":1}}'],
      ['{"a":1,\n"b":2}'],
      ['{"a":"2020-01-01T00:00:00Z"}'],
      ['{"a":1', '{"a":2}'],
    ];
    for (const raws of cases) assert.equal(valuesToRows(raws, ["timestamp"]), null, JSON.stringify(raws));
  });

  it("reads an unreadable timestamp as null, as the per-message path does", () => {
    const v = { uuid: "u1", timestamp: "01/02/2020" };
    const bulk = valuesToRows([JSON.stringify(v)], ["timestamp"]);
    assert.ok(bulk !== null && bulk.frameEqual(messagesToRows([message(0, v)], ["timestamp"]), true));
  });
});

describe("messagesToRows (Kafka JSON values → rows)", () => {
  it("keeps the row's own offset and timestamp fields, and parses ISO timestamps to Datetime(ms)", () => {
    const frame = messagesToRows([
      message(10, { uuid: "u1", timestamp: "2020-01-01T00:00:01.250Z", offset: 1.25, speed: 3 }),
      message(11, { uuid: "u1", timestamp: "2020-01-01T00:00:04.000Z", offset: 4, speed: null }),
    ], ["timestamp"]);
    assert.deepEqual(frame.columns, ["uuid", "timestamp", "offset", "speed"]);
    assert.equal(frame.getColumn("timestamp").dtype.variant, "Datetime");
    assert.deepEqual(frame.getColumn("timestamp").toArray().map((d) => (d as unknown as Date).toISOString()), ["2020-01-01T00:00:01.250Z", "2020-01-01T00:00:04.000Z"]);
    assert.deepEqual(frame.getColumn("offset").toArray(), [1.25, 4], "the row's offset, not the Kafka offset");
    assert.deepEqual(frame.getColumn("speed").toArray(), [3, null]);
  });

  it("gives an all-null timestamp field its Datetime type", () => {
    const frame = messagesToRows([message(0, { uuid: "u1", timestamp: null })], ["timestamp"]);
    assert.equal(frame.getColumn("timestamp").dtype.variant, "Datetime");
    assert.deepEqual(frame.getColumn("timestamp").toArray(), [null]);
  });
});

describe("kafkaSource / kafkaSink options", () => {
  it("reject bad values with OptionError naming the option, before any connection", () => {
    const cases: [() => unknown, string][] = [
      [() => kafkaSource({ topic: "" }), "topic"],
      [() => kafkaSource({ topic: "t", once: "yes" as never }), "once"],
      [() => kafkaSource({ topic: "t", pollTimeoutMs: 0 }), "pollTimeoutMs"],
      [() => kafkaSource({ topic: "t", bootstrap: "nohost" }), "bootstrap"],
      [() => kafkaSink({ topic: "t", partitions: 0 }), "partitions"],
      [() => kafkaSink({ topic: "t", key: "" }), "key"],
    ];
    for (const [make, option] of cases) {
      assert.throws(make, (e: unknown) => isStreamlabError(e, "BAD_OPTION") && e.context.option === option, option);
    }
  });

  it("names the source after the topic without its prefix", () => {
    assert.equal(kafkaSource({ topic: "DoeJane-accelerations" }).name, "accelerations");
    assert.equal(kafkaSource({ topic: "DoeJane-accelerations", name: "acc" }).name, "acc");
  });
});
