import http from "node:http";
import type { AddressInfo } from "node:net";
import { OptionError, StreamlabError } from "../../errors";
import { BadRequestError, resolveGameApiOptions, type GameApiOptions } from "./options";
import { planRequest, type GameRequest } from "./routes";
import { PlayerStore } from "./state";
import type { EventLog, LoggedHeaders } from "./types";

/** A running game API. */
export interface GameApi {
  /** Base URL, e.g. `http://127.0.0.1:5000`. */
  readonly url: string;
  readonly port: number;
  /** Per-user state (inventories, guilds). */
  readonly players: PlayerStore;
  /** Events logged so far (accepted requests). */
  logged(): number;
  /** Stops accepting requests and waits for the open ones; does not close the event log. */
  close(): Promise<void>;
}

function header(req: http.IncomingMessage, name: string): string | null {
  const v = req.headers[name];
  return v === undefined ? null : Array.isArray(v) ? v.join(", ") : v;
}

async function readBody(req: http.IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new BadRequestError(413, `Request body over ${limit} bytes: send the parameters in the query string or a small JSON body.`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Query string merged with a JSON object or form-encoded body (body wins on a clash). */
async function parseRequest(req: http.IncomingMessage, maxBodyBytes: number): Promise<GameRequest> {
  const url = new URL(req.url ?? "/", "http://localhost");
  const params: Record<string, string> = {};
  for (const [k, v] of url.searchParams) params[k] = v;
  const body = req.method === "POST" ? await readBody(req, maxBodyBytes) : "";
  if (body.trim() !== "") {
    const type = (header(req, "content-type") ?? "").split(";")[0].trim();
    if (type === "application/json") {
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch {
        throw new BadRequestError(400, "Body is not valid JSON: send an object such as {\"item\": \"shield\", \"quantity\": 2}.");
      }
      if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new BadRequestError(400, "JSON body must be an object of parameters.");
      for (const [k, v] of Object.entries(parsed)) {
        if (typeof v !== "string" && typeof v !== "number") throw new BadRequestError(400, `Parameter ${JSON.stringify(k)} must be a string or number.`, { parameter: k });
        params[k] = String(v);
      }
    } else if (type === "application/x-www-form-urlencoded") {
      for (const [k, v] of new URLSearchParams(body)) params[k] = v;
    } else {
      throw new BadRequestError(415, `Unsupported Content-Type ${JSON.stringify(type)}: use application/json or application/x-www-form-urlencoded.`);
    }
  }
  const headers: LoggedHeaders = { Host: header(req, "host"), "User-Agent": header(req, "user-agent"), Accept: header(req, "accept") };
  return { method: req.method ?? "GET", path: url.pathname, params, headers };
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/**
 * Starts the game API (the course's Flask app, in TypeScript): every accepted request is logged to
 * `log` as a JSON event before the player's state changes; a bad request gets a 4xx JSON error
 * (`{ error: { code, status, message } }`) and logs nothing. If logging fails the answer is 503 and
 * the state is unchanged, so the event log and the state never disagree.
 *
 * @example
 * ```ts
 * const log = await kafkaEventLog({ topic: "events" });
 * const api = await startGameApi(log, { port: 5000 });
 * await fetch(`${api.url}/purchase_item?item=shield&quantity=2&color=red&user=ann`);
 * await api.close(); await log.close();
 * ```
 */
export async function startGameApi(log: EventLog, options: GameApiOptions = {}): Promise<GameApi> {
  const o = resolveGameApiOptions(options);
  const players = new PlayerStore();
  let logged = 0;
  // Requests run one at a time, so a state check and the state change it guards cannot interleave
  // with another request (two "join the same guild" racing would otherwise both be logged).
  let queue: Promise<void> = Promise.resolve();

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    try {
      const request = await parseRequest(req, o.maxBodyBytes);
      const plan = planRequest(request, new Date().toISOString(), o.maxQuantity, players);
      try {
        await log.append(plan.event);
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        send(res, 503, { error: { code: e instanceof StreamlabError ? e.code : "KAFKA", status: 503, message: `Event not logged, nothing changed: ${message}` } });
        return;
      }
      logged++;
      const { status, body } = plan.apply(players);
      send(res, status, body);
    } catch (e) {
      if (e instanceof BadRequestError) send(res, e.status, { error: { code: e.code, status: e.status, message: e.message, ...e.context } });
      else send(res, 500, { error: { code: "INTERNAL", status: 500, message: e instanceof Error ? e.message : String(e) } });
    }
  };

  const server = http.createServer((req, res) => {
    queue = queue.then(() => handle(req, res));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (e: NodeJS.ErrnoException) =>
      reject(new OptionError("port", o.port, `cannot listen on ${o.host}:${o.port} (${e.code ?? e.message}); pick another port or stop what uses it`, e)),
    );
    server.listen(o.port, o.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${o.host.includes(":") ? `[${o.host}]` : o.host}:${port}`,
    port,
    players,
    logged: () => logged,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
