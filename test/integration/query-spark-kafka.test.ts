/**
 * `streamlab query … --engine spark --source kafka --sink kafka` on the real broker: the replay
 * publishes the course data to `<prefix>-locations`/`-accelerations`, Spark (with the Kafka connector
 * from Maven Central) reads them and writes its results to `<prefix>-windowed`/`-joined`; the
 * messages (key + JSON value) hold the polars engine's final results on the same topics.
 */
import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { KafkaAdmin } from "../../lib/kafka/admin";
import { readTopicMessages } from "../../lib/kafka/read";
import { replay } from "../../lib/replay/replay";
import { KafkaSink } from "../../lib/sinks/kafka";
import { locateSparkSubmit } from "../../lib/spark/submit";
import { joinedQuery, windowedQuery } from "../../lib/stream/queries";
import { readParquetOutput } from "../../lib/stream/sinks/read";
import { runCli } from "../helpers/cli";
import { SHARED_BDD, bootstrap, closeAll, hasSharedBdd, requireBroker, uniquePrefix } from "../helpers/kafka";
import { canonicalRow, lastPerWindow } from "../helpers/rows";

type Row = Record<string, unknown>;

describe("--engine spark on Kafka topics (real broker)", function () {
  this.timeout(600_000);
  const prefix = uniquePrefix("Spark");
  let root: string;

  before(async function () {
    if (!hasSharedBdd()) {
      console.log(`    (skipped: the course dataset is not at ${SHARED_BDD})`);
      this.skip();
    }
    await requireBroker();
    await locateSparkSubmit();
    root = mkdtempSync(path.join(tmpdir(), "streamlab-spark-kafka-"));
    await replay({ data: SHARED_BDD, sinks: new KafkaSink({ bootstrap: bootstrap(), topicPrefix: prefix }), speed: "max", start: "2020-01-01T00:00:00Z", progressLog: false });
  });
  after(async () => {
    await closeAll();
    if (root !== undefined) rmSync(root, { recursive: true, force: true });
    const admin = await KafkaAdmin.connect({ bootstrap: bootstrap(), topicPrefix: prefix }).catch(() => undefined);
    if (admin) {
      await admin.deleteTopics((await admin.listTopics()).filter((t) => t.startsWith(prefix))).catch(() => undefined);
      await admin.close();
    }
  });

  /** Spark reads the topics and writes `<prefix>-<suffix>`; returns the values, checking each key. */
  async function onSpark(kind: string, suffix: string, keyField: string): Promise<Row[]> {
    const { code, out, err } = await runCli("query", kind, "--once", "--engine", "spark", "--source", "kafka", "--sink", "kafka", "--topic-prefix", prefix, "--bootstrap", bootstrap());
    assert.equal(code, 0, `${out}\n${err}`);
    assert.match(out, new RegExp(`query ${kind}: \\d+ batches, input rows locations=478`));
    const messages = await readTopicMessages(`${prefix}-${suffix}`, { bootstrap: bootstrap(), idleTimeoutMs: 5_000 });
    assert.ok(messages.length > 0, "Spark wrote results");
    for (const m of messages) assert.equal(m.key, (m.value as Row)[keyField], "key = the key column, as streamlab's Kafka sink");
    return messages.map((m) => m.value as Row);
  }

  /** The polars engine on the same topics, to files. */
  function polarsRows(dir: string): Row[] {
    return readParquetOutput(path.join(root, dir)).toRecords() as Row[];
  }

  it("windowed: the latest value per ride and window equals the polars engine's", async () => {
    const spark = await onSpark("windowed", "windowed", "ride_id");
    assert.deepEqual(Object.keys(spark[0]), ["ride_id", "window_start", "window_end", "mean_speed", "count", "batch_id"]);
    await windowedQuery({ source: "kafka", sink: "files", topicPrefix: prefix, bootstrap: bootstrap(), output: root, trigger: "once" }).awaitTermination();
    // Dates from the files become the same ISO-8601 strings the JSON values hold.
    const polars = lastPerWindow(polarsRows("windowed").map((r) => JSON.parse(JSON.stringify(r)) as Row));
    assert.deepEqual(lastPerWindow(spark).last, polars.last);
  });

  it("joined: the multiset of join rows (with the end-of-input flush) equals the polars engine's", async () => {
    const spark = await onSpark("joined", "joined", "uuid");
    await joinedQuery({ source: "kafka", sink: "files", topicPrefix: prefix, bootstrap: bootstrap(), output: root, trigger: "once" }).awaitTermination();
    const polars = polarsRows("stream-joined").map((r) => JSON.parse(JSON.stringify(r)) as Row);
    assert.ok(polars.some((r) => r.loc_timestamp === null), "unmatched rows are part of the answer");
    assert.deepEqual(spark.map(canonicalRow).sort(), polars.map(canonicalRow).sort());
  });
});
