import assert from "node:assert/strict";
import { groupMessagesPerPartition } from "../../lib/kafka/kafkajs";
import { chunksOfBytes } from "../../lib/kafka/producer";

describe("kafka producer: request chunks", () => {
  const message = (key: string | null, bytes: number) => ({ key, value: "v".repeat(bytes) });

  it("keeps every message, in order, in chunks of at most the byte budget", () => {
    const messages = Array.from({ length: 50 }, (_, i) => message(`k${i}`, 10 + (i % 7) * 13));
    const chunks = chunksOfBytes(messages, 200);
    assert.deepEqual(chunks.flat(), messages);
    for (const c of chunks) assert.ok(c.reduce((n, m) => n + m.value.length + (m.key ?? "").length, 0) <= 200);
    assert.ok(chunks.length > 1);
  });

  it("sends a message larger than the budget alone rather than dropping it", () => {
    const chunks = chunksOfBytes([message("a", 10), message("b", 500), message(null, 10)], 100);
    assert.deepEqual(chunks.map((c) => c.map((m) => m.key)), [["a"], ["b"], [null]]);
  });

  it("counts bytes, not characters", () => {
    const chunks = chunksOfBytes([{ key: null, value: "é".repeat(30) }, { key: null, value: "é".repeat(30) }], 100);
    assert.equal(chunks.length, 2); // 60 bytes each
  });

  it("returns no chunk for no message", () => {
    assert.deepEqual(chunksOfBytes([], 100), []);
  });
});

describe("kafkajs, loaded through lib/kafka/kafkajs.ts", () => {
  it("groups a request's messages per partition in order, linearly, in place of kafkajs's own helper", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const used = require("kafkajs/src/producer/groupMessagesPerPartition.js");
    assert.equal(used, groupMessagesPerPartition, "kafkajs's producer uses the linear grouping");
    const messages = Array.from({ length: 20_000 }, (_, i) => ({ key: `k${i % 7}`, value: String(i), partition: (i * 5) % 3 }));
    const grouped = groupMessagesPerPartition({ topic: "t", partitionMetadata: [{}, {}, {}], messages, partitioner: ({ message }) => (message as { partition: number }).partition });
    assert.deepEqual(Object.keys(grouped).sort(), ["0", "1", "2"]);
    for (const p of [0, 1, 2]) assert.deepEqual(grouped[p], messages.filter((m) => m.partition === p), `partition ${p}: its messages in their order`);
    assert.deepEqual(groupMessagesPerPartition({ topic: "t", partitionMetadata: [], messages, partitioner: () => 0 }), {});
  });
});
