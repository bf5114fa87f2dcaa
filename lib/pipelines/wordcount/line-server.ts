import net from "node:net";
import type { AddressInfo } from "node:net";
import { OptionError } from "../../errors";
import { resolvePort } from "./options";

/** A running line server (the lecture's `nc -lk 9999`). */
export interface LineServer {
  readonly port: number;
  /** Clients connected now. */
  clients(): number;
  /** Resolves once at least `n` clients are connected. */
  waitForClients(n?: number): Promise<void>;
  /** Sends lines to every connected client. */
  send(lines: string[]): Promise<void>;
  /** Ends every connection (the socket sources become exhausted) and stops listening. */
  close(): Promise<void>;
}

/**
 * A TCP server that sends the lines you give it to every connected client, for the socket word
 * count when `nc` is not at hand.
 *
 * @example
 * ```ts
 * const server = await startLineServer({ port: 9999 });
 * await server.waitForClients();
 * await server.send(["to be or not to be"]);
 * await server.close();
 * ```
 */
export async function startLineServer(options: { port?: number; host?: string } = {}): Promise<LineServer> {
  const port = resolvePort(options.port);
  const host = options.host ?? "127.0.0.1";
  const sockets = new Set<net.Socket>();
  let waiters: Array<() => void> = [];
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => sockets.delete(s));
    const w = waiters;
    waiters = [];
    w.forEach((f) => f());
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (e: NodeJS.ErrnoException) => reject(new OptionError("port", port, `cannot listen on ${host}:${port} (${e.code}); pick another port`, e)));
    server.listen(port, host, resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    clients: () => sockets.size,
    async waitForClients(n = 1) {
      while (sockets.size < n) await new Promise<void>((r) => waiters.push(r));
    },
    async send(lines) {
      const text = lines.map((l) => `${l}\n`).join("");
      await Promise.all([...sockets].map((s) => new Promise<void>((r) => s.write(text, () => r()))));
    },
    async close() {
      for (const s of sockets) s.end();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
