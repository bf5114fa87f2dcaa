/**
 * kafkajs, loaded once with one fix. kafkajs 2.2.4 (in maintenance) groups each produce request's
 * messages per partition by copying the partition's array for every message: quadratic in the
 * request size, about 12% of a replay's CPU at 1,600 messages per request (profile in
 * docs/kafka.md). The same grouping, linear, is put in its module's place before kafkajs loads
 * it. Every streamlab module takes kafkajs from here.
 */
import Module from "node:module";

type Grouping = (args: { topic: string; partitionMetadata: unknown[]; messages: unknown[]; partitioner: (a: { topic: string; partitionMetadata: unknown[]; message: unknown }) => number }) => Record<number, unknown[]>;

/** Messages per partition, in their order (what kafkajs's groupMessagesPerPartition returns). */
export const groupMessagesPerPartition: Grouping = ({ topic, partitionMetadata, messages, partitioner }) => {
  const result: Record<number, unknown[]> = {};
  if (partitionMetadata.length === 0) return result;
  for (const message of messages) (result[partitioner({ topic, partitionMetadata, message })] ??= []).push(message);
  return result;
};

const file = require.resolve("kafkajs/src/producer/groupMessagesPerPartition.js");
if (require.cache[file] === undefined) {
  const m = new Module(file);
  m.filename = file;
  m.loaded = true;
  m.exports = groupMessagesPerPartition;
  require.cache[file] = m;
}

// Loaded only now, so that its producer picks up the grouping above.
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const kafkajs: typeof import("kafkajs") = require("kafkajs");
