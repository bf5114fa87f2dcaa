import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { isStreamlabError, KafkaError } from "../../lib/errors";
import { framesToMessages, writeFrames } from "../../lib/kafka/frame-writer";
import { rowToJson } from "../../lib/kafka/messages";
import type { KafkaProducer, TransactionMarker } from "../../lib/kafka/producer";
import type { DeliveryReport, OutgoingMessage } from "../../lib/kafka/types";

function rides(uuids: string[], start = 0): pl.DataFrame {
  return pl.DataFrame({
    uuid: uuids,
    speed: uuids.map((_, i) => start + i + 0.5),
    timestamp: uuids.map((_, i) => new Date(Date.UTC(2026, 10, 20, 10, 0, start + i))),
  }).withColumn(pl.col("timestamp").cast(pl.Datetime("ms")));
}

/** A producer that records what it was asked to send and acknowledges each message on partition 0. */
class RecordingProducer implements Pick<KafkaProducer, "send" | "sendTransaction"> {
  readonly calls: Array<{ kind: "send" | "transaction"; topic: string; messages: OutgoingMessage[]; marker?: TransactionMarker; signal?: AbortSignal }> = [];
  fail: Error | undefined;
  private offset = 0;

  private ack(topic: string, messages: OutgoingMessage[]): DeliveryReport[] {
    if (this.fail) throw this.fail;
    return messages.map((m) => ({ topic, partition: 0, offset: this.offset++, key: m.key }));
  }

  async send(topic: string, messages: OutgoingMessage[], signal?: AbortSignal): Promise<DeliveryReport[]> {
    this.calls.push({ kind: "send", topic, messages, signal });
    return this.ack(topic, messages);
  }

  async sendTransaction(topic: string, messages: OutgoingMessage[], marker?: TransactionMarker, beforeCommit?: () => void): Promise<DeliveryReport[]> {
    this.calls.push({ kind: "transaction", topic, messages, marker });
    beforeCommit?.();
    return this.ack(topic, messages);
  }
}

describe("frame → Kafka writer (lib/kafka/frame-writer.ts)", () => {
  describe("framesToMessages", () => {
    it("encodes the rows of several frames in order, each value the row's JSON and the key its column", () => {
      const a = rides(["r1", "r2"]), b = rides(["r3"], 2);
      const messages = framesToMessages([a, b], { keyField: "uuid" });
      assert.deepEqual(messages.map((m) => m.key), ["r1", "r2", "r3"]);
      const rows = [...a.toRecords(), ...b.toRecords()].map((r) => JSON.parse(rowToJson(r as Record<string, unknown>)));
      assert.deepEqual(messages.map((m) => JSON.parse(m.value)), rows);
      assert.equal(JSON.parse(messages[2].value).timestamp, "2026-11-20T10:00:02.000Z");
    });

    it("matches columns by name across frames and skips empty frames", () => {
      const reordered = rides(["r9"], 9).select("speed", "uuid");
      const messages = framesToMessages([rides([]), rides(["r1"]), reordered]);
      assert.deepEqual(messages.map((m) => JSON.parse(m.value)), [
        { uuid: "r1", speed: 0.5, timestamp: "2026-11-20T10:00:00.000Z" },
        { uuid: "r9", speed: 9.5, timestamp: null },
      ]);
      assert.deepEqual(messages.map((m) => m.key), [null, null]);
      assert.deepEqual(framesToMessages([rides([]), rides([])], { keyField: "uuid" }), []);
    });

    it("rejects a key column a single frame lacks, even an empty one, naming the option and the columns", () => {
      for (const frame of [rides(["r1"]), rides([])]) {
        assert.throws(() => framesToMessages(frame, { keyField: "ride_id" }), (e) => isStreamlabError(e, "BAD_OPTION") && e.context.option === "keyField" && /uuid, speed, timestamp/.test(e.message));
      }
    });
  });

  describe("writeFrames", () => {
    it("sends plain messages to the topic with the signal and resolves with the delivery reports", async () => {
      const producer = new RecordingProducer();
      const signal = new AbortController().signal;
      const reports = await writeFrames(producer, "DoeJane-rides", rides(["r1", "r2"]), { keyField: "uuid", signal });
      assert.equal(producer.calls.length, 1);
      assert.equal(producer.calls[0].kind, "send");
      assert.equal(producer.calls[0].topic, "DoeJane-rides");
      assert.equal(producer.calls[0].signal, signal);
      assert.deepEqual(reports.map((r) => [r.topic, r.offset, r.key]), [["DoeJane-rides", 0, "r1"], ["DoeJane-rides", 1, "r2"]]);
    });

    it("sends in one transaction with its marker, running beforeCommit before the commit", async () => {
      const producer = new RecordingProducer();
      const marker = { group: "streamlab-sink-x", topic: "DoeJane-windowed", partition: 0, offset: 4 };
      let ranBeforeCommit = false;
      const reports = await writeFrames(producer, "DoeJane-windowed", rides(["r1"]), { keyField: "uuid", transaction: { marker, beforeCommit: () => void (ranBeforeCommit = true) } });
      assert.deepEqual(producer.calls.map((c) => [c.kind, c.marker]), [["transaction", marker]]);
      assert.ok(ranBeforeCommit);
      assert.equal(reports.length, 1);
    });

    it("leaves out what `unsent` drops, before taking a slot, and takes no slot when nothing is left", async () => {
      const producer = new RecordingProducer();
      const events: string[] = [];
      const slot = async () => {
        events.push("acquire");
        return () => void events.push("release");
      };
      const dropR1 = (messages: OutgoingMessage[]) => {
        events.push(`filter ${messages.length}`);
        return messages.filter((m) => m.key !== "r1");
      };
      const reports = await writeFrames(producer, "t", [rides(["r1", "r2"]), rides(["r1"], 5)], { keyField: "uuid", unsent: dropR1, slot });
      assert.deepEqual(reports.map((r) => r.key), ["r2"]);
      assert.deepEqual(events, ["filter 3", "acquire", "release"]);

      events.length = 0;
      assert.deepEqual(await writeFrames(producer, "t", rides(["r1"]), { keyField: "uuid", unsent: dropR1, slot }), []);
      assert.deepEqual(events, ["filter 1"], "no slot taken for nothing to send");
    });

    it("gives the slot back when the send fails, and passes the error on", async () => {
      const producer = new RecordingProducer();
      producer.fail = new KafkaError("KAFKA", "broker said no");
      let held = 0;
      const slot = async () => {
        held++;
        return () => void held--;
      };
      await assert.rejects(writeFrames(producer, "t", rides(["r1"]), { slot }), (e) => isStreamlabError(e, "KAFKA") && /broker said no/.test(e.message));
      assert.equal(held, 0);
    });
  });
});
