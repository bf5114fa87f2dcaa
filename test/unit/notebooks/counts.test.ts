import { strict as assert } from "node:assert";
import pl from "nodejs-polars";
import { formatTopicCounts, topicCountsFrame, type TopicCount } from "../../../lib/notebooks/counts";

const withReplay: TopicCount[] = [
  { topic: "DoeJohn-locations", partitions: 3, messages: 20, replayed: 12, acknowledged: 12 },
  { topic: "DoeJohn-accelerations", partitions: 3, messages: 7, replayed: 7, acknowledged: 7 },
];

describe("topic counts for the notebooks' last cells", () => {
  it("formats one line per topic, with replay counts only when there are some", () => {
    assert.equal(
      formatTopicCounts(withReplay),
      "DoeJohn-locations: 20 messages on 3 partitions (replayed 12, acknowledged 12)\nDoeJohn-accelerations: 7 messages on 3 partitions (replayed 7, acknowledged 7)",
    );
    assert.equal(formatTopicCounts([{ topic: "T-locations", partitions: 1, messages: 0 }]), "T-locations: 0 messages on 1 partitions");
  });

  it("builds a frame with the replay columns only when a summary was given", () => {
    const expected = pl.DataFrame({
      topic: pl.Series("topic", ["DoeJohn-locations", "DoeJohn-accelerations"], pl.Utf8),
      partitions: pl.Series("partitions", [3, 3], pl.Int64),
      messages: pl.Series("messages", [20, 7], pl.Int64),
      replayed: pl.Series("replayed", [12, 7], pl.Int64),
      acknowledged: pl.Series("acknowledged", [12, 7], pl.Int64),
    });
    assert.ok(topicCountsFrame(withReplay).frameEqual(expected));
    const plain = topicCountsFrame(withReplay.map(({ topic, partitions, messages }) => ({ topic, partitions, messages })));
    assert.deepEqual(plain.columns, ["topic", "partitions", "messages"]);
    assert.deepEqual(plain.getColumn("messages").toArray(), [20, 7]);
  });
});
