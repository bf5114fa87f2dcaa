import net from "node:net";
import pl from "nodejs-polars";
import { OptionError, QueryError } from "../../errors";
import type { Skipped } from "../../dataset/types";
import type { SourceChunk, StreamSource } from "../types";
import { resolvePort, SOCKET_SOURCE_DEFAULTS, type SocketSourceOptions } from "./options";

/** A frame of lines with their arrival time (the engine's `timestamp` event-time column). */
export function linesFrame(lines: string[], arrivals: number[]): pl.DataFrame {
  return pl.DataFrame({
    line: pl.Series("line", lines, pl.Utf8),
    timestamp: pl.Series("timestamp", arrivals.map((t) => new Date(t)), pl.Datetime("ms")),
  });
}

/** A socket source that also says whether it is connected. */
export interface SocketStreamSource extends StreamSource {
  /** Lines received so far. */
  linesRead(): number;
}

/**
 * Lines from a TCP server as a query input, like Spark's `socketTextStream("localhost", 9999)`: it
 * connects as a client on the first poll and every poll returns the complete lines received since
 * the last one (`line`, `timestamp` = arrival time). When the server closes the connection the
 * source is exhausted (a trailing line without newline still counts). Nothing is replayed: as in
 * Spark, a socket is for learning, not for fault-tolerant input.
 *
 * @example
 * ```ts
 * const server = await startLineServer({ port: 9999 }); // or `nc -lk 9999` in a terminal
 * const lines = socketSource({ port: 9999 });
 * ```
 */
export function socketSource(options: SocketSourceOptions = {}): SocketStreamSource {
  const host = options.host ?? SOCKET_SOURCE_DEFAULTS.host;
  if (typeof host !== "string" || host.trim() === "") throw new OptionError("host", options.host, "expected a host name, e.g. localhost");
  const port = resolvePort(options.port);
  const name = options.name ?? SOCKET_SOURCE_DEFAULTS.name;
  let socket: net.Socket | undefined;
  let connecting: Promise<void> | undefined;
  let partial = "";
  let lines: string[] = [];
  let arrivals: number[] = [];
  let ended = false;
  let failure: QueryError | undefined;
  let read = 0;

  const connect = () =>
    new Promise<void>((resolve, reject) => {
      const s = net.connect({ host, port });
      s.setEncoding("utf8");
      s.once("connect", () => {
        socket = s;
        resolve();
      });
      s.on("data", (text: string) => {
        const parts = (partial + text).split(/\r?\n/);
        partial = parts.pop() ?? "";
        const now = Date.now();
        for (const l of parts) {
          lines.push(l);
          arrivals.push(now);
        }
      });
      s.on("end", () => {
        if (partial !== "") {
          lines.push(partial);
          arrivals.push(Date.now());
          partial = "";
        }
        ended = true;
      });
      s.on("error", (e: NodeJS.ErrnoException) => {
        const err = new QueryError(`Socket source ${host}:${port}: ${e.code ?? e.message}. Start a line server there first (\`nc -lk ${port}\`, or startLineServer({ port: ${port} })).`, { cause: e, context: { host, port } });
        if (socket === undefined) reject(err);
        else {
          failure = err;
          ended = true;
        }
      });
    });

  return {
    name,
    async poll() {
      if (socket === undefined && !ended) await (connecting ??= connect());
      if (failure) throw failure;
      if (lines.length === 0) return [];
      const chunk: SourceChunk = { frame: linesFrame(lines, arrivals), arrivalMs: arrivals };
      read += lines.length;
      lines = [];
      arrivals = [];
      return [chunk];
    },
    exhausted: () => ended && lines.length === 0,
    skipped: (): Skipped[] => [],
    linesRead: () => read,
    async close() {
      socket?.destroy();
      ended = true;
    },
  };
}
