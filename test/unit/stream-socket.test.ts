/**
 * The engine's socket source (Spark's `format("socket")`, the lecture's `nc -lk 9999`): lines from a
 * TCP server, each with its arrival time. A real server on a free local port; a memory sink.
 */
import { strict as assert } from "node:assert";
import net from "node:net";
import type { AddressInfo } from "node:net";
import pl from "nodejs-polars";
import { isStreamlabError } from "../../lib/errors";
import { MemoryStreamSink, readStream, socketSource } from "../../lib/stream";

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

  it("no server: the query fails with QUERY naming host:port and what to start", async () => {
    const q = readStream(socketSource({ host: "127.0.0.1", port: 1 })).writeStream({ sinks: [new MemoryStreamSink()] }).start();
    await assert.rejects(q.awaitTermination(), (e: unknown) => isStreamlabError(e, "QUERY") && /127\.0\.0\.1:1.*nc -lk 1/.test(e.message));
  });

  it("rejects a bad port or host with BAD_OPTION", () => {
    assert.throws(() => socketSource({ port: 70_000 }), (e: unknown) => isStreamlabError(e, "BAD_OPTION") && /port/.test(e.message));
    assert.throws(() => socketSource({ host: " " }), (e: unknown) => isStreamlabError(e, "BAD_OPTION") && /host/.test(e.message));
  });
});
