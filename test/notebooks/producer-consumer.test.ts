/**
 * notebooks/producer.ipynb then notebooks/consumer.ipynb, executed headless (real Jupyter, tslab,
 * nbconvert) against the real Kafka broker, under a topic prefix of their own. The expected counts
 * are read from the dataset's parquet files with polars, not hard-coded.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { deleteTopics } from "../../lib/kafka/admin";
import { uniquePrefix } from "../helpers/kafka";
import { ensureBroker, jupyterSh, notebookText, outputsOfType, parquetRowCounts, readNotebook, ROOT, runNotebook, testDataset, type Notebook } from "../helpers/notebooks";

const PRODUCER = path.join(ROOT, "notebooks", "producer.ipynb");
const CONSUMER = path.join(ROOT, "notebooks", "consumer.ipynb");

describe("producer and consumer notebooks, headless, against the real broker", function () {
  this.timeout(900_000);
  const data = testDataset();
  const prefix = uniquePrefix("Nb");
  const sample = 3;
  let bootstrap: string;
  let out: string;
  let expected: { locations: number; accelerations: number };
  let producer: Notebook;
  let consumer: Notebook;
  let env: Record<string, string>;

  before(async function () {
    if (data === undefined) {
      console.log("    (skipped: no dataset; expected ../shared/data/bdd or data/bdd — run `npx streamlab generate`)");
      this.skip();
    }
    bootstrap = await ensureBroker();
    const setup = await jupyterSh(["setup"]);
    assert.equal(setup.code, 0, `scripts/jupyter.sh setup failed:\n${setup.stderr}`);
    expected = parquetRowCounts(data!);
    assert.ok(expected.locations > 0 && expected.accelerations > 0, `no rows in ${data}`);
    out = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-nb-"));
    env = { STREAMLAB_DATA: data!, STREAMLAB_BOOTSTRAP: bootstrap, STREAMLAB_TOPIC_PREFIX: prefix, STREAMLAB_SPEED: "20", STREAMLAB_SAMPLE: String(sample) };
  });

  after(async function () {
    if (out) fs.rmSync(out, { recursive: true, force: true });
    if (bootstrap) await deleteTopics(["locations", "accelerations"], { bootstrap, topicPrefix: prefix }).catch(() => undefined);
  });

  it("the producer publishes every row of the dataset to <prefix>-locations and <prefix>-accelerations", async function () {
    const r = await runNotebook(PRODUCER, out, env);
    assert.equal(r.code, 0, r.stderr);
    producer = readNotebook(r.executed);
    const text = notebookText(producer);
    assert.match(text, new RegExp(`^topicPrefix\\s+${prefix}$`, "m"));
    assert.match(text, new RegExp(`^created: ${prefix}-locations, ${prefix}-accelerations$`, "m"));
    for (const table of ["locations", "accelerations"] as const) {
      const n = expected[table];
      assert.match(text, new RegExp(`^${prefix}-${table}: ${n} messages on 3 partitions \\(replayed ${n}, acknowledged ${n}\\)$`, "m"), `${table}: expected ${n} in\n${text}`);
    }
    assert.match(text, /completed in/);
  });

  it("the producer shows a resume: interrupted after 20 releases, resumed, each row on the topics once", function () {
    if (!producer) this.skip();
    const text = notebookText(producer);
    const first = /first run: aborted after (\d+) releases/.exec(text);
    assert.ok(first, `no interrupted first run in\n${text}`);
    assert.match(text, new RegExp(`interrupted run found: true \\(${first[1]} releases acknowledged\\)`));
    for (const table of ["locations", "accelerations"] as const) {
      const n = expected[table];
      assert.match(text, new RegExp(`^${prefix}Resume-${table}: ${n} messages for ${n} rows released over both runs \\(each once\\)$`, "m"), `${table} in\n${text}`);
    }
  });

  it("the producer's progress bar is one display, updated in place to the last release", function () {
    if (!producer) this.skip();
    const displays = outputsOfType(producer, "display_data").filter((o) => /^replay /.test(String(o.data?.["text/plain"])));
    assert.equal(displays.length, 1);
    const line = String(displays[0].data?.["text/plain"]);
    assert.match(line, /^replay  \[█{20}\] 100%  (\d+)\/\1 partitions  [\d,]+ rows\/s  done in \d+:\d\d\n/, "the bar ends full: every partition of the pass released");
    assert.match(String(displays[0].data?.["text/html"]), /width:100\.0%/);
    const total = expected.locations + expected.accelerations;
    const m = /rows ([\d,]+) loc \+ ([\d,]+) acc/.exec(line);
    assert.ok(m, `no progress line: ${line}`);
    assert.equal(Number(m[1].replace(/,/g, "")) + Number(m[2].replace(/,/g, "")), total);
    // The counts per topic end the notebook as a DataFrame: an HTML table with its dtypes.
    const counts = outputsOfType(producer, "display_data").find((o) => /<table/.test(String(o.data?.["text/html"])));
    assert.ok(counts, "the topic counts frame shows as an HTML table");
    assert.match(String(counts.data!["text/html"]), /<th>topic<\/th><th>partitions<\/th><th>messages<\/th>.*<td>str<\/td><td>i64<\/td><td>i64<\/td>/);
  });

  it("the consumer shows the messages the producer published, and their counts", async function () {
    if (!producer) this.skip();
    const r = await runNotebook(CONSUMER, out, env);
    assert.equal(r.code, 0, r.stderr);
    consumer = readNotebook(r.executed);
    const text = notebookText(consumer);
    // listed topics
    assert.match(text, new RegExp(`^${prefix}-accelerations\\n${prefix}-locations$`, "m"));
    // printed messages: a header line (topic, partition, offset, key) followed by the value as pretty JSON
    const headers = [...text.matchAll(new RegExp(`^${prefix}-(locations|accelerations) \\[partition (\\d+)\\] offset (\\d+) key (\\w+)\\n(\\{\\n[\\s\\S]*?\\n\\})$`, "gm"))];
    assert.equal(headers.length, sample, text);
    for (const h of headers) {
      const value = JSON.parse(h[5]) as Record<string, unknown>;
      assert.equal(value.uuid, h[4], "the key is the ride's uuid");
      assert.match(String(value.timestamp), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
    }
    assert.match(text, new RegExp(`^printed ${sample} messages$`, "m"));
    // whole topics read back, and the stored counts
    for (const table of ["locations", "accelerations"] as const) {
      assert.match(text, new RegExp(`^${prefix}-${table}: ${expected[table]} rows read$`, "m"));
      assert.match(text, new RegExp(`^${prefix}-${table}: ${expected[table]} messages on 3 partitions$`, "m"));
    }
  });
});
