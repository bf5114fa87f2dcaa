/**
 * The engine's socket source (Spark's `format("socket")`, the lecture's `nc -lk 9999`): lines from a
 * TCP server, each with its arrival time. A real server on a free local port; a memory sink. Spark's
 * TextSocketStreamSuite "basic usage" and "timestamped usage" are translated below (Spark names the
 * column `value` and adds `timestamp` with includeTimestamp; here they are always `line`, `timestamp`).
 */
import { strict as assert } from "node:assert";
import net from "node:net";
import type { AddressInfo } from "node:net";
import pl from "nodejs-polars";
import { isStreamlabError } from "../../lib/errors";
import { startLineServer } from "../../lib/pipelines/wordcount";
import { foreachBatch, MemoryStreamSink, readStream, socketSource } from "../../lib/stream";

/** A server that writes `parts` (raw text, not whole lines) to the first client, then closes. */
async function serve(parts: string[]): Promise<{ port: number; close(): void }> {
  const server = net.createServer(async (socket) => {
    for (const p of parts) {
      socket.write(p);
      await new Promise((r) => setTimeout(r, 15));
    }
    socket.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { port: (server.address() as AddressInfo).port, close: () => server.close() };
}

describe("socketSource (engine)", () => {
  it("gives whole lines (split across writes, CRLF or not, the last one without newline) with their arrival time", async () => {
    const server = await serve(["hello wo", "rld\r\nsecond line\nthi", "rd"]);
    try {
      const sink = new MemoryStreamSink();
      const before = Date.now();
      await readStream(socketSource({ host: "127.0.0.1", port: server.port }))
        .filter(pl.col("line").str.lengths().gt(0))
        .writeStream({ sinks: [sink], idleSleep: 5 }).start().awaitTermination();
      const t = sink.table();
      assert.deepEqual(t.getColumn("line").toArray(), ["hello world", "second line", "third"]);
      const times = (t.getColumn("timestamp").toArray() as unknown as Date[]).map((d) => d.getTime());
      assert.ok(times.every((ms, i) => ms >= before && ms <= Date.now() && (i === 0 || ms >= times[i - 1])));
    } finally {
      server.close();
    }
  });

  it("basic and timestamped usage (TextSocketStreamSuite): \"hello\" then \"world\" in two batches, arrival times not decreasing", async () => {
    const server = await startLineServer({ port: 0 });
    try {
      const batches: { lines: string[]; times: number[] }[] = [];
      const q = readStream(socketSource({ host: "127.0.0.1", port: server.port }))
        .writeStream({ sinks: [foreachBatch((f) => { batches.push({ lines: f.getColumn("line").toArray() as string[], times: (f.getColumn("timestamp").toArray() as unknown as Date[]).map((d) => d.getTime()) }); })], idleSleep: 5 })
        .start();
      await server.waitForClients();
      await server.send(["hello"]);
      while (batches.length < 1) await new Promise((r) => setTimeout(r, 5));
      await server.send(["world"]);
      await server.close();
      await q.awaitTermination();
      assert.deepEqual(batches.map((b) => b.lines), [["hello"], ["world"]]);
      assert.ok(batches[1].times[0] >= batches[0].times[0]);
    } finally {
      await server.close();
    }
  });

  it("no server: the query fails with QUERY naming host:port and what to start", async () => {
    const q = readStream(socketSource({ host: "127.0.0.1", port: 1 })).writeStream({ sinks: [new MemoryStreamSink()] }).start();
    await assert.rejects(q.awaitTermination(), (e: unknown) => isStreamlabError(e, "QUERY") && /127\.0\.0\.1:1.*nc -lk 1/.test(e.message));
  });

  it("rejects a bad port or host with BAD_OPTION", () => {
    assert.throws(() => socketSource({ port: 70_000 }), (e: unknown) => isStreamlabError(e, "BAD_OPTION") && /port/.test(e.message));
    assert.throws(() => socketSource({ host: " " }), (e: unknown) => isStreamlabError(e, "BAD_OPTION") && /host/.test(e.message));
  });
});
