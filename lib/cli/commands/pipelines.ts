/**
 * `streamlab pipeline <name>`: the course's other pipelines (game events, store sales, word count,
 * IoT and consumer groups) from the command line.
 */
import type { Command } from "commander";
import { AbortedError, isStreamlabError, OptionError } from "../../errors";
import { GAME_API_DEFAULTS, generateTraffic, kafkaEventLog, queryEvents, readEvents, startGameApi, storeEvents, TRAFFIC_DEFAULTS } from "../../pipelines/game";
import { GROUP_EXAMPLES, IOT_DEFAULTS, iotReadings, produceIot, runGroupExperiment } from "../../pipelines/iot";
import { CASSANDRA_STORE_DEFAULTS, CassandraSalesStore, produceSales, SALES_DATABASE_DEFAULTS, SalesDatabase, saveSales, simulateSales, startLocalCassandra, STORE_DEFAULTS, summarizeSales, SUMMARY_DEFAULTS, type LocalCassandra, type SalesStore } from "../../pipelines/sales";
import { SOCKET_SOURCE_DEFAULTS, startWordCountPipeline, TEXT_TOPIC_SOURCE_DEFAULTS, WORD_COUNT_DEFAULTS } from "../../pipelines/wordcount";
import { choiceOption, kafkaOptionsOf, numberFlag, wholeNumberFlag, withInterrupt, withKafkaFlags, type KafkaFlags } from "../flags";

/** A whole number >= `min` from a flag that has a default (so it is always there). */
const int = (flag: string, raw: string, min: number): number => wholeNumberFlag(flag, raw, min)!;

/** A share from 0 to 1 typed on the command line. */
function share(flag: string, raw: string): number {
  const n = numberFlag(flag, raw, "a number from 0 to 1")!;
  if (n < 0 || n > 1) throw new OptionError(flag, raw, "a number from 0 to 1");
  return n;
}

/** Resolves when `signal` aborts (Ctrl-C): how a serve-until-stopped command waits. */
const untilAborted = (signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => (signal.aborted ? resolve() : signal.addEventListener("abort", () => resolve(), { once: true })));

const json = (v: unknown) => console.log(JSON.stringify(v));

function registerGame(pipeline: Command): void {
  withKafkaFlags(pipeline.command("game-api").description("Run the game events API: each accepted request is logged as a JSON event to Kafka topic `events`; Ctrl-C stops it."))
    .option("--port <n>", "TCP port (0 = any free port)", String(GAME_API_DEFAULTS.port))
    .option("--host <host>", "interface to listen on", GAME_API_DEFAULTS.host)
    .option("--topic <name>", "topic the events go to", "events")
    .option("--traffic <n>", "after starting, send N generated requests to it (then keep serving)")
    .option("--seed <k>", "seed of the generated traffic", String(TRAFFIC_DEFAULTS.seed))
    .addHelpText("after", [
      "",
      "Routes (GET or POST; parameters in the query string, a JSON body or a form body):",
      "  GET  /                                   default event",
      "  *    /purchase_a_sword?user=&quantity=&color=",
      "  *    /purchase_item?item=shield&quantity=2&color=red&user=ann",
      "  *    /join_guild?guild=mages&user=ann",
      "  GET  /inventory?user=ann",
      "Bad requests get a 4xx JSON error ({\"error\":{\"code\":\"BAD_REQUEST\",…}}) and log nothing.",
      "",
      "Example:",
      "  npx streamlab pipeline game-api --port 5000 &",
      "  curl 'http://127.0.0.1:5000/purchase_item?item=shield&quantity=2&color=red&user=ann'",
    ].join("\n"))
    .action(async (o: KafkaFlags & { port: string; host: string; topic: string; traffic?: string; seed: string }) => {
      const port = int("--port", o.port, 0);
      const traffic = o.traffic === undefined ? 0 : int("--traffic", o.traffic, 0);
      const seed = int("--seed", o.seed, 0);
      await withInterrupt(async (signal) => {
        const log = await kafkaEventLog({ ...kafkaOptionsOf(o), topic: o.topic });
        const api = await startGameApi(log, { port, host: o.host }).catch(async (e) => { await log.close(); throw e; });
        console.log(`game API on ${api.url}, logging events to topic ${log.topic} (Ctrl-C to stop)`);
        try {
          if (traffic > 0) {
            const sent = await generateTraffic(api.url, { count: traffic, seed });
            console.log(`sent ${sent.length} requests: ${sent.filter((r) => r.status === 200).length} accepted, ${sent.filter((r) => r.status >= 400).length} refused`);
          }
          await untilAborted(signal);
        } finally {
          await api.close();
          await log.close();
          console.log(`stopped; ${api.logged()} events logged`);
        }
        throw new AbortedError("The game API");
      });
    });

  pipeline.command("game-traffic")
    .description("Send a seeded mix of requests to a running game API and print a summary.")
    .option("--url <url>", "the API's base URL", `http://127.0.0.1:${GAME_API_DEFAULTS.port}`)
    .option("--count <n>", "requests to send", String(TRAFFIC_DEFAULTS.count))
    .option("--seed <k>", "seed of the request mix", String(TRAFFIC_DEFAULTS.seed))
    .option("--bad-share <x>", "share of deliberately bad requests, 0-1", String(TRAFFIC_DEFAULTS.badShare))
    .action(async (o: { url: string; count: string; seed: string; badShare: string }) => {
      const sent = await generateTraffic(o.url, { count: int("--count", o.count, 0), seed: int("--seed", o.seed, 0), badShare: share("--bad-share", o.badShare) });
      const byStatus: Record<string, number> = {};
      for (const r of sent) byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
      json({ sent: sent.length, byStatus });
    });

  withKafkaFlags(pipeline.command("game-batch").description("Read `events` from the beginning, flatten, store parquet tables (events, purchases, guild_joins) and answer a SQL question."))
    .option("--topic <name>", "topic of the events", "events")
    .option("--out <dir>", "folder of the parquet tables", "results/game")
    .option("--sql <query>", "SQL on the tables events, purchases, guild_joins (polars SQL)", "SELECT item, color, SUM(quantity) AS bought, COUNT(*) AS purchases FROM purchases GROUP BY item, color ORDER BY item, color")
    .action(async (o: KafkaFlags & { topic: string; out: string; sql: string }) => {
      const { frame, skipped } = await readEvents(o.topic, kafkaOptionsOf(o));
      const files = storeEvents(frame, o.out);
      console.log(`read ${frame.height} events (${skipped.length} skipped) → ${Object.values(files).join(", ")}`);
      for (const s of skipped) console.log(`skipped ${s.at}: ${s.reason}`);
      console.log(queryEvents(o.out, o.sql).toString());
    });
}

function registerSales(pipeline: Command): void {
  withKafkaFlags(pipeline.command("sales-store").description("The fake store: send N seeded sales {item, amount, time} to topic `sales`."))
    .option("--count <n>", "sales to make", String(STORE_DEFAULTS.count))
    .option("--seed <k>", "random seed (same seed, same sales)", String(STORE_DEFAULTS.seed))
    .option("--topic <name>", "topic of the sales", SUMMARY_DEFAULTS.from)
    .option("--max-step <n>", "the store's clock moves 1..n time units between sales", String(STORE_DEFAULTS.maxStep))
    .action(async (o: KafkaFlags & { count: string; seed: string; topic: string; maxStep: string }) => {
      const sales = simulateSales({ count: int("--count", o.count, 0), seed: int("--seed", o.seed, 0), maxStep: int("--max-step", o.maxStep, 1) });
      await produceSales(sales, { topic: o.topic, kafka: kafkaOptionsOf(o) });
      json({ sent: sales.length, topic: o.topic, first: sales[0] ?? null, last: sales[sales.length - 1] ?? null });
    });

  withKafkaFlags(pipeline.command("sales-db").description("Save every sale of `sales` in a database, exactly once (keyed by topic/partition/offset): embedded SQLite, or Cassandra as in the lecture."))
    .addOption(choiceOption("--store <kind>", "sqlite: embedded, one file; cassandra: keyspace store, table sales", ["sqlite", "cassandra"]).default("sqlite"))
    .option("--db <path>", "SQLite database file", SALES_DATABASE_DEFAULTS.path)
    .option("--cassandra <host:port>", "Cassandra contact point", CASSANDRA_STORE_DEFAULTS.contactPoint)
    .option("--start-cassandra", "start a local single-node Cassandra from the Maven Central jars first (Java 17, mvn; ~30 s), stop it at the end")
    .option("--topic <name>", "topic of the sales", SUMMARY_DEFAULTS.from)
    .option("--group <id>", "consumer group (a restart resumes after its committed offsets)", "store-db")
    .option("--follow", "keep consuming new sales until Ctrl-C (default: stop at the end of the topic)")
    .action(async (o: KafkaFlags & { store: "sqlite" | "cassandra"; db: string; cassandra: string; startCassandra?: boolean; topic: string; group: string; follow?: boolean }) => {
      let node: LocalCassandra | undefined;
      let db: SalesStore;
      if (o.store === "cassandra") {
        if (o.startCassandra) node = await startLocalCassandra({ port: Number(o.cassandra.split(":")[1]) });
        db = await CassandraSalesStore.open({ contactPoint: o.cassandra });
      } else {
        db = await SalesDatabase.open({ path: o.db });
      }
      const where = o.store === "sqlite" ? o.db : `cassandra ${o.cassandra} store.sales`;
      try {
        await withInterrupt(async (signal) => {
          try {
            const r = await saveSales(db, { topic: o.topic, groupId: o.group, kafka: kafkaOptionsOf(o), until: o.follow ? "never" : "end", signal });
            json({ received: r.received, saved: r.saved, skipped: r.skipped, inDatabase: await db.count(), store: where });
          } catch (e) {
            // Stopped (Ctrl-C): what the database holds now, then exit 130.
            if (isStreamlabError(e, "ABORTED")) json({ stopped: true, inDatabase: await db.count(), store: where });
            throw e;
          }
        });
      } finally {
        await db.close();
        await node?.stop();
      }
    });

  withKafkaFlags(pipeline.command("sales-summary").description("Sum the amounts per tumbling window of `time` (the engine's window, update mode) and publish the windows each micro-batch changed to `sales-summary`."))
    .option("--size <n>", "window size in time units", String(SUMMARY_DEFAULTS.size))
    .option("--topic <name>", "topic of the sales", SUMMARY_DEFAULTS.from)
    .option("--to <name>", "topic of the window totals", SUMMARY_DEFAULTS.to)
    .option("--follow", "keep consuming until Ctrl-C (default: stop at the end of the topic and publish the last windows)")
    .action(async (o: KafkaFlags & { size: string; topic: string; to: string; follow?: boolean }) => {
      const size = int("--size", o.size, 1);
      await withInterrupt(async (signal) => {
        let published = 0;
        const r = await summarizeSales({ topic: o.topic, to: o.to, size, kafka: kafkaOptionsOf(o), until: o.follow ? "never" : "end", signal, onWindow: (w) => { published++; json(w); } });
        if (signal.aborted) {
          console.log(`stopped; published ${published} windows to ${o.to}`);
          throw new AbortedError("The sales summary");
        }
        console.log(`published ${published} window totals to ${o.to} (${r.windows.length} windows); ${r.late} late sales, ${r.skipped.length} skipped messages`);
      });
    });
}

function registerWordCount(pipeline: Command): void {
  withKafkaFlags(pipeline.command("wordcount").description("Count lower-case words of lines from a topic or a TCP socket; running counts go to an output topic."))
    .addOption(choiceOption("--source <kind>", "where lines come from", ["topic", "socket"]).default("topic"))
    .addOption(choiceOption("--mode <mode>", "update: changed counts per micro-batch; complete: all counts each time", ["update", "complete"]).default(WORD_COUNT_DEFAULTS.mode))
    .option("--input <topic>", "input topic (one line per message)", TEXT_TOPIC_SOURCE_DEFAULTS.topic)
    .option("--host <host>", "socket source host", SOCKET_SOURCE_DEFAULTS.host)
    .option("--port <n>", "socket source port (e.g. a `nc -lk 9999`)", String(SOCKET_SOURCE_DEFAULTS.port))
    .option("--output <topic>", "output topic (key = word, value = {word, count, batch_id})", WORD_COUNT_DEFAULTS.output)
    .option("--once", "topic source: count what is in the topic now, then stop")
    .addHelpText("after", [
      "",
      "Examples:",
      "  echo 'to be or not to be' | npx streamlab produce --topic lines && npx streamlab pipeline wordcount --once --mode complete",
      "  nc -lk 9999   # in another terminal, then type lines",
      "  npx streamlab pipeline wordcount --source socket --port 9999 --mode update",
    ].join("\n"))
    .action(async (o: KafkaFlags & { source: "topic" | "socket"; mode: "update" | "complete"; input: string; host: string; port: string; output: string; once?: boolean }) => {
      const port = int("--port", o.port, 1);
      await withInterrupt(async (signal) => {
        const { query, outputTopic } = startWordCountPipeline({
          source: o.source, mode: o.mode, input: o.input, host: o.host, port, output: o.output, once: o.once, console: true, kafka: kafkaOptionsOf(o), signal,
        });
        await query.awaitTermination();
        console.log(`word count ended: ${query.totals.batches} micro-batches, ${query.totals.outputRows} rows to ${outputTopic}`);
        if (signal.aborted) throw new AbortedError("The word count");
      });
    });
}

function registerIot(pipeline: Command): void {
  withKafkaFlags(pipeline.command("iot-produce").description("Send random sensor readings to topic `iot` (2 partitions, keyed by sensor)."))
    .option("--count <n>", "readings to send", String(IOT_DEFAULTS.count))
    .option("--seed <k>", "random seed", String(IOT_DEFAULTS.seed))
    .option("--topic <name>", "topic", IOT_DEFAULTS.topic)
    .action(async (o: KafkaFlags & { count: string; seed: string; topic: string }) => {
      const reports = await produceIot(iotReadings({ count: int("--count", o.count, 0), seed: int("--seed", o.seed, 0) }), { topic: o.topic, kafka: kafkaOptionsOf(o) });
      const perPartition: Record<string, number> = {};
      for (const r of reports) perPartition[r.partition] = (perPartition[r.partition] ?? 0) + 1;
      json({ sent: reports.length, topic: reports[0]?.topic ?? o.topic, perPartition });
    });

  withKafkaFlags(pipeline.command("iot-groups").description("Run one of the course's consumer-group examples live and show which consumer received which message."))
    .addOption(choiceOption("--example <name>", Object.entries(GROUP_EXAMPLES).map(([k, v]) => `${k} = ${JSON.stringify(v)}`).join("; "), Object.keys(GROUP_EXAMPLES)).default("several-groups"))
    .option("--count <n>", "readings to send", String(IOT_DEFAULTS.count))
    .option("--topic <name>", "topic", IOT_DEFAULTS.topic)
    .action(async (o: KafkaFlags & { example: keyof typeof GROUP_EXAMPLES; count: string; topic: string }) => {
      const run = await runGroupExperiment({ groups: GROUP_EXAMPLES[o.example], count: int("--count", o.count, 1), topic: o.topic, kafka: kafkaOptionsOf(o) });
      for (const d of run.deliveries) console.log(`${d.consumer.padEnd(16)} partition ${d.partition} offset ${String(d.offset).padStart(4)}  reading #${d.seq} (${d.sensor_id})`);
      for (const c of run.checks) json({ group: c.group, received: c.received, missing: c.missing, duplicated: c.duplicated, perConsumer: c.perConsumer, partitions: c.partitions });
    });
}

export function register(program: Command): void {
  const pipeline = program
    .command("pipeline")
    .description("The course's other pipelines: game events API, store sales, word count, IoT and consumer groups.")
    .addHelpText("after", [
      "",
      "Examples:",
      "  npx streamlab pipeline game-api --port 5000 --traffic 50",
      "  npx streamlab pipeline sales-store --count 100 --seed 42 && npx streamlab pipeline sales-db && npx streamlab pipeline sales-summary",
      "  npx streamlab pipeline wordcount --source socket --port 9999 --mode complete",
      "  npx streamlab pipeline iot-produce --count 20 && npx streamlab pipeline iot-groups --example shared-group",
    ].join("\n"));
  registerGame(pipeline);
  registerSales(pipeline);
  registerWordCount(pipeline);
  registerIot(pipeline);
}
