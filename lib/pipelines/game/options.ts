import { OptionError, StreamlabError } from "../../errors";

/** Items a player can buy with `/purchase_item?item=…` (the course's "more item types"). */
export const ITEMS = ["sword", "shield", "helmet", "potion", "bow"] as const;
/** Colours a purchase may ask for. */
export const COLORS = ["red", "green", "blue", "black", "white", "gold"] as const;
/** Guilds a player can join with `/join_guild?guild=…`. */
export const GUILDS = ["knights", "mages", "archers", "thieves"] as const;

/** Options of {@link startGameApi}. */
export interface GameApiOptions {
  /** TCP port; default 5000 (the course's Flask port); 0 picks a free one. */
  port?: number;
  /** Interface to listen on; default 127.0.0.1. */
  host?: string;
  /** Largest quantity one purchase may ask for; default 100. */
  maxQuantity?: number;
  /** Largest request body accepted, bytes; default 16384. */
  maxBodyBytes?: number;
}

export const GAME_API_DEFAULTS = { port: 5000, host: "127.0.0.1", maxQuantity: 100, maxBodyBytes: 16_384 } as const;

export type ResolvedGameApiOptions = Required<GameApiOptions>;

function wholeNumber(option: string, value: unknown, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new OptionError(option, value, `expected a whole number from ${min} to ${max}`);
  }
  return value;
}

export function resolveGameApiOptions(o: GameApiOptions = {}): ResolvedGameApiOptions {
  if (o === null || typeof o !== "object") throw new OptionError("gameApi", o, "expected an options object such as { port: 5000 }");
  const host = o.host ?? GAME_API_DEFAULTS.host;
  if (typeof host !== "string" || host.trim() === "") throw new OptionError("host", o.host, "expected a host name or IP address");
  return {
    port: wholeNumber("port", o.port ?? GAME_API_DEFAULTS.port, 0, 65_535),
    host,
    maxQuantity: wholeNumber("maxQuantity", o.maxQuantity ?? GAME_API_DEFAULTS.maxQuantity, 1, 1_000_000),
    maxBodyBytes: wholeNumber("maxBodyBytes", o.maxBodyBytes ?? GAME_API_DEFAULTS.maxBodyBytes, 1, 10_000_000),
  };
}

/** A request the API refuses: becomes a 4xx JSON answer and logs no event. */
export class BadRequestError extends StreamlabError {
  readonly status: number;
  constructor(status: number, message: string, context: Record<string, unknown> = {}) {
    super("BAD_REQUEST", message, { context });
    this.status = status;
  }
}

const USER_PATTERN = /^[A-Za-z0-9_.-]{1,32}$/;

/** Validated request parameters (query string merged with a JSON or form body). */
export interface PurchaseParams {
  user: string;
  item: string;
  quantity: number;
  color: string | null;
}

function oneOf(name: string, value: string, allowed: readonly string[]): string {
  const v = value.toLowerCase();
  if (!allowed.includes(v)) throw new BadRequestError(400, `Unknown ${name} ${JSON.stringify(value)}: use one of ${allowed.join(", ")}.`, { parameter: name, value });
  return v;
}

/** Rejects parameters a route does not know, so a typo (`colour=red`) is not silently ignored. */
export function rejectUnknown(params: Record<string, string>, known: readonly string[]): void {
  for (const name of Object.keys(params)) {
    if (!known.includes(name)) throw new BadRequestError(400, `Unknown parameter ${JSON.stringify(name)}: this route accepts ${known.join(", ")}.`, { parameter: name });
  }
}

export function parseUser(params: Record<string, string>): string {
  const user = params.user ?? "guest";
  if (!USER_PATTERN.test(user)) throw new BadRequestError(400, `Invalid user ${JSON.stringify(user)}: use 1-32 letters, digits, '.', '_' or '-'.`, { parameter: "user", value: user });
  return user;
}

export function parsePurchase(params: Record<string, string>, defaultItem: string | undefined, maxQuantity: number): PurchaseParams {
  const user = parseUser(params);
  const rawItem = params.item ?? defaultItem;
  if (rawItem === undefined) throw new BadRequestError(400, `Missing parameter "item": use one of ${ITEMS.join(", ")}.`, { parameter: "item" });
  const item = oneOf("item", rawItem, ITEMS);
  const rawQuantity = params.quantity ?? "1";
  const quantity = Number(rawQuantity);
  if (!/^\d+$/.test(rawQuantity) || quantity < 1 || quantity > maxQuantity) {
    throw new BadRequestError(400, `Invalid quantity ${JSON.stringify(rawQuantity)}: use a whole number from 1 to ${maxQuantity}.`, { parameter: "quantity", value: rawQuantity });
  }
  const color = params.color === undefined ? null : oneOf("color", params.color, COLORS);
  return { user, item, quantity, color };
}

export function parseGuild(params: Record<string, string>): { user: string; guild: string } {
  const user = parseUser(params);
  if (params.guild === undefined) throw new BadRequestError(400, `Missing parameter "guild": use one of ${GUILDS.join(", ")}.`, { parameter: "guild" });
  return { user, guild: oneOf("guild", params.guild, GUILDS) };
}
