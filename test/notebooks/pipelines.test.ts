/**
 * The four pipeline notebooks, executed headless (real Jupyter, tslab, nbconvert) against the real
 * broker under a topic prefix of their own. Expected values are recomputed here from what the
 * notebooks left in Kafka (or from the seeded simulators), not hard-coded.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { deleteTopics, readTopicMessages } from "../../lib/kafka";
import { batchWordCount } from "../../lib/pipelines/wordcount";
import { simulateSales, tumblingTotals } from "../../lib/pipelines/sales";
import { uniquePrefix } from "../helpers/kafka";
import { ensureBroker, jupyterSh, notebookText, outputsOfType, readNotebook, ROOT, runNotebook } from "../helpers/notebooks";

const nb = (name: string) => path.join(ROOT, "notebooks", name);

describe("pipeline notebooks, headless, against the real broker", function () {
  this.timeout(900_000);
  const prefix = uniquePrefix("Pipe");
  let bootstrap: string;
  let out: string;
  let env: Record<string, string>;
  const kafka = () => ({ bootstrap, topicPrefix: prefix });

  before(async () => {
    bootstrap = await ensureBroker();
    const setup = await jupyterSh(["setup"]);
    assert.equal(setup.code, 0, `scripts/jupyter.sh setup failed:\n${setup.stderr}`);
    out = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-pipelines-nb-"));
    env = { STREAMLAB_BOOTSTRAP: bootstrap, STREAMLAB_TOPIC_PREFIX: prefix };
  });

  after(async () => {
    if (out) fs.rmSync(out, { recursive: true, force: true });
    if (bootstrap) await deleteTopics(["events", "sales", "sales-summary", "lines", "word-counts", "word-counts-complete", "iot"], kafka()).catch(() => undefined);
  });

  async function run(name: string, extra: Record<string, string> = {}): Promise<{ text: string; file: string }> {
    const r = await runNotebook(nb(name), out, { ...env, ...extra });
    assert.equal(r.code, 0, `${name} failed:\n${r.stderr}`);
    return { text: notebookText(readNotebook(r.executed)), file: r.executed };
  }

  it("game-events: the SQL answer per item equals the purchases in the events topic, and a chart is shown", async () => {
    const { text, file } = await run("game-events.ipynb", { STREAMLAB_OUT: path.join(out, "game"), STREAMLAB_COUNT: "40" });
    const events = (await readTopicMessages("events", kafka())).map((m) => m.value as { event_type: string; item?: string; quantity?: number });
    const m = /^(\d+) events in /m.exec(text);
    assert.ok(m, text);
    assert.equal(Number(m[1]), events.length);
    const expected = new Map<string, number>();
    for (const e of events) if (e.event_type.startsWith("purchase")) expected.set(e.item!, (expected.get(e.item!) ?? 0) + e.quantity!);
    const shown = new Map([...text.matchAll(/^bought (\w+): (\d+)$/gm)].map((x) => [x[1], Number(x[2])]));
    assert.deepEqual(shown, new Map([...expected].sort(([a], [b]) => a.localeCompare(b))));
    assert.match(text, /→ 400 Unknown item "dragon"/);
    const charts = outputsOfType(readNotebook(file), "display_data").filter((o) => o.data?.["application/vnd.plotly.v1+json"] !== undefined);
    assert.equal(charts.length, 1);
  });

  it("store-sales: every sale once in the database, and the summary topic equals a batch group-by", async () => {
    const { text, file } = await run("store-sales.ipynb", { STREAMLAB_OUT: path.join(out, "store.sqlite"), STREAMLAB_COUNT: "150", STREAMLAB_SEED: "9" });
    assert.match(text, /^first delivery:  received 150, saved 150$/m);
    assert.match(text, /^second delivery: received 150, saved 0$/m);
    assert.match(text, /^sales in the database: 150$/m);
    // Update mode: each window's latest message (highest batch_id) is its value.
    const latest = new Map<number, { window_start: number; batch_id: number }>();
    for (const m of await readTopicMessages("sales-summary", kafka())) {
      const w = m.value as { window_start: number; batch_id: number };
      if ((latest.get(w.window_start)?.batch_id ?? -1) < w.batch_id) latest.set(w.window_start, w);
    }
    const published = [...latest.values()].sort((a, b) => a.window_start - b.window_start).map(({ batch_id: _, ...w }) => w);
    const expected = tumblingTotals(simulateSales({ count: 150, seed: 9 }), 5);
    assert.deepEqual(published, expected);
    assert.match(text, /^summary equals a batch group-by of the same sales: true$/m);
    // The live dashboard's last state: one bar per window, at its start, as high as its total.
    const displays = outputsOfType(readNotebook(file), "display_data");
    const bars = displays.map((o) => o.data?.["application/vnd.plotly.v1+json"] as unknown as { data: { type: string; x: number[]; y: number[] }[] } | undefined).find((f) => f?.data[0]?.type === "bar");
    assert.ok(bars, "no live bar chart");
    assert.deepEqual(bars.data[0].x, expected.map((w) => w.window_start));
    assert.deepEqual(bars.data[0].y, expected.map((w) => w.total));
    const panel = displays.map((o) => String(o.data?.["text/plain"] ?? "")).find((t) => t.startsWith("Store sales per 5 time units (live)"));
    assert.match(panel ?? "", new RegExp(`the store sold 150 sales; ${expected.length} windows published`));
  });

  it("word-count: topic and socket counts equal a batch count of the lines", async () => {
    const { text } = await run("word-count.ipynb");
    const lines = (await readTopicMessages("lines", kafka())).map((m) => m.raw ?? "");
    const counts = (await readTopicMessages("word-counts", kafka())).map((m) => m.value as { word: string; count: number; batch_id: number });
    const latest = new Map<string, number>();
    for (const c of [...counts].sort((a, b) => a.batch_id - b.batch_id)) latest.set(c.word, c.count);
    assert.deepEqual([...latest].sort(([a], [b]) => (a < b ? -1 : 1)), batchWordCount(lines).map((w) => [w.word, w.count]));
    assert.match(text, /complete mode: last batch has \d+ words; equals the batch count: true/);
    assert.match(text, /socket: \d+ micro-batch\(es\); latest counts equal the batch count: true/);
  });

  it("iot-consumer-groups: each message reaches exactly one consumer per group", async () => {
    const { text } = await run("iot-consumer-groups.ipynb", { STREAMLAB_COUNT: "16" });
    const groups = [...text.matchAll(/^group (\S+): received (\d+)\/(\d+), missing (\d+), duplicated (\d+) \| (.*)$/gm)];
    assert.equal(groups.length, 6, text); // 2 + 1 + 3 groups in the three examples
    for (const g of groups) {
      assert.equal(g[2], "16", g[0]);
      assert.equal(g[4], "0", g[0]);
      assert.equal(g[5], "0", g[0]);
    }
    const workers = groups.find((g) => g[1] === "workers")!;
    assert.equal([...workers[6].matchAll(/ 0 msgs/g)].length, 1, "three consumers on two partitions: one idle");
    assert.match(text, /: 2 partitions, 16 messages/);
  });
});
