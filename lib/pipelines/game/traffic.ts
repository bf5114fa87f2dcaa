import { OptionError } from "../../errors";
import { seededRandom } from "../random";
import { COLORS, GUILDS, ITEMS } from "./options";

/** Options of {@link generateTraffic}. */
export interface TrafficOptions {
  /** Requests to send; default 50. */
  count?: number;
  /** Seed of the request mix (same seed, same requests); default 1. */
  seed?: number;
  /** Player names to pick from; default ann, bob, cy. */
  users?: string[];
  /** Share of deliberately bad requests (unknown item, bad quantity…), 0–1; default 0. */
  badShare?: number;
  /** User-Agent sent with every request; default `streamlab-traffic`. */
  userAgent?: string;
}

export const TRAFFIC_DEFAULTS = { count: 50, seed: 1, users: ["ann", "bob", "cy"], badShare: 0, userAgent: "streamlab-traffic" } as const;

/** One request sent and what came back. */
export interface TrafficRecord {
  method: "GET" | "POST";
  path: string;
  params: Record<string, string>;
  status: number;
  body: unknown;
}

function resolve(o: TrafficOptions): Required<TrafficOptions> {
  const count = o.count ?? TRAFFIC_DEFAULTS.count;
  if (!Number.isInteger(count) || count < 0) throw new OptionError("count", o.count, "expected a whole number of requests, 0 or more");
  const seed = o.seed ?? TRAFFIC_DEFAULTS.seed;
  if (!Number.isInteger(seed)) throw new OptionError("seed", o.seed, "expected a whole number");
  const users = o.users ?? [...TRAFFIC_DEFAULTS.users];
  if (!Array.isArray(users) || users.length === 0) throw new OptionError("users", o.users, "expected a non-empty list of user names");
  const badShare = o.badShare ?? TRAFFIC_DEFAULTS.badShare;
  if (typeof badShare !== "number" || !(badShare >= 0 && badShare <= 1)) throw new OptionError("badShare", o.badShare, "expected a number from 0 to 1");
  return { count, seed, users, badShare, userAgent: o.userAgent ?? TRAFFIC_DEFAULTS.userAgent };
}

/** The (seeded) list of requests {@link generateTraffic} sends, without sending them. */
export function planTraffic(options: TrafficOptions = {}): Array<Omit<TrafficRecord, "status" | "body">> {
  const o = resolve(options);
  const rnd = seededRandom(o.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const out: Array<Omit<TrafficRecord, "status" | "body">> = [];
  for (let i = 0; i < o.count; i++) {
    const user = pick(o.users);
    const method = rnd() < 0.5 ? "GET" : "POST";
    if (rnd() < o.badShare) {
      const bad: Array<Omit<TrafficRecord, "status" | "body">> = [
        { method, path: "/purchase_item", params: { user, item: "dragon" } },
        { method, path: "/purchase_item", params: { user, item: "shield", quantity: "-3" } },
        { method: "GET", path: "/no_such_route", params: { user } },
      ];
      out.push(pick(bad));
      continue;
    }
    const r = rnd();
    if (r < 0.1) out.push({ method: "GET", path: "/", params: { user } });
    else if (r < 0.3) out.push({ method, path: "/purchase_a_sword", params: { user, quantity: String(1 + Math.floor(rnd() * 3)) } });
    else if (r < 0.85) out.push({ method, path: "/purchase_item", params: { user, item: pick(ITEMS), quantity: String(1 + Math.floor(rnd() * 5)), color: pick(COLORS) } });
    else out.push({ method, path: "/join_guild", params: { user, guild: pick(GUILDS) } });
  }
  return out;
}

/**
 * Sends a seeded mix of requests to a running game API (the course's `curl`/Apache Bench step) and
 * returns what each got back. Guild joins can answer 409 when a player re-joins their own guild.
 *
 * @example
 * ```ts
 * const sent = await generateTraffic(api.url, { count: 100, seed: 7 });
 * sent.filter((r) => r.status === 200).length; // accepted requests = events logged
 * ```
 */
export async function generateTraffic(baseUrl: string, options: TrafficOptions = {}): Promise<TrafficRecord[]> {
  const ua = options.userAgent ?? TRAFFIC_DEFAULTS.userAgent;
  const records: TrafficRecord[] = [];
  for (const req of planTraffic(options)) {
    const url = new URL(req.path, baseUrl);
    const init: RequestInit = { method: req.method, headers: { "user-agent": ua, accept: "application/json" } };
    if (req.method === "GET") for (const [k, v] of Object.entries(req.params)) url.searchParams.set(k, v);
    else {
      init.body = JSON.stringify(req.params);
      (init.headers as Record<string, string>)["content-type"] = "application/json";
    }
    const res = await fetch(url, init);
    records.push({ ...req, status: res.status, body: await res.json() });
  }
  return records;
}
