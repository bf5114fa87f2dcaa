import { BadRequestError, parseGuild, parsePurchase, parseUser, rejectUnknown } from "./options";
import type { PlayerStore } from "./state";
import type { GameEvent, LoggedHeaders, PlayerState } from "./types";

/** A parsed HTTP request: method, path, the merged query/body parameters and the logged headers. */
export interface GameRequest {
  method: string;
  path: string;
  params: Record<string, string>;
  headers: LoggedHeaders;
}

/** What a valid request does: the event to log, then (once it is logged) the state change and answer. */
export interface RoutePlan {
  event: GameEvent;
  apply(store: PlayerStore): { status: number; body: Record<string, unknown> };
}

interface Route {
  methods: readonly string[];
  plan(req: GameRequest, now: string, maxQuantity: number): RoutePlan;
}

const PURCHASE_PARAMS = ["user", "item", "quantity", "color"] as const;

function purchase(eventType: "purchase_sword" | "purchase_item", defaultItem: string | undefined, fixedItem: boolean) {
  return (req: GameRequest, now: string, maxQuantity: number): RoutePlan => {
    rejectUnknown(req.params, fixedItem ? PURCHASE_PARAMS.filter((p) => p !== "item") : PURCHASE_PARAMS);
    const p = parsePurchase(req.params, defaultItem, maxQuantity);
    const event: GameEvent = { event_type: eventType, timestamp: now, user: p.user, headers: req.headers, item: p.item, quantity: p.quantity, ...(p.color === null ? {} : { color: p.color }) };
    return {
      event,
      apply: (store) => {
        const player = store.addItems(p.user, p.item, p.quantity);
        const name = p.item[0].toUpperCase() + p.item.slice(1);
        return { status: 200, body: { message: `${name} Purchased!`, event, player } };
      },
    };
  };
}

/** The API's routes: the course's two, plus the advanced options (items, parameters, user state). */
export const ROUTES: Record<string, Route> = {
  "/": {
    methods: ["GET"],
    plan: (req, now) => {
      rejectUnknown(req.params, ["user"]);
      const event: GameEvent = { event_type: "default", timestamp: now, user: parseUser(req.params), headers: req.headers };
      return { event, apply: () => ({ status: 200, body: { message: "This is the default response!", event } }) };
    },
  },
  "/purchase_a_sword": { methods: ["GET", "POST"], plan: purchase("purchase_sword", "sword", true) },
  "/purchase_item": { methods: ["GET", "POST"], plan: purchase("purchase_item", undefined, false) },
  "/join_guild": {
    methods: ["GET", "POST"],
    plan: (req, now) => {
      rejectUnknown(req.params, ["user", "guild"]);
      const { user, guild } = parseGuild(req.params);
      const event: GameEvent = { event_type: "join_guild", timestamp: now, user, headers: req.headers, guild };
      return {
        event,
        apply: (store) => ({ status: 200, body: { message: `Joined guild ${guild}!`, event, player: store.joinGuild(user, guild) } }),
      };
    },
  },
  "/inventory": {
    methods: ["GET"],
    plan: (req, now) => {
      rejectUnknown(req.params, ["user"]);
      const user = parseUser(req.params);
      const event: GameEvent = { event_type: "view_inventory", timestamp: now, user, headers: req.headers };
      return { event, apply: (store) => ({ status: 200, body: { player: store.get(user) satisfies PlayerState, event } }) };
    },
  },
};

/**
 * Validates a request against the routes and returns its plan; throws {@link BadRequestError}
 * (404 unknown path, 405 wrong method, 400 bad parameter) before anything is logged.
 */
export function planRequest(req: GameRequest, now: string, maxQuantity: number, store?: PlayerStore): RoutePlan {
  const route = Object.prototype.hasOwnProperty.call(ROUTES, req.path) ? ROUTES[req.path] : undefined;
  if (route === undefined) throw new BadRequestError(404, `No route ${req.path}: use one of ${Object.keys(ROUTES).join(", ")}.`, { path: req.path });
  if (!route.methods.includes(req.method)) throw new BadRequestError(405, `${req.method} is not allowed on ${req.path}: use ${route.methods.join(" or ")}.`, { path: req.path, method: req.method });
  const plan = route.plan(req, now, maxQuantity);
  // State checks that would refuse the request run before logging, so a refused request logs no event.
  if (store !== undefined && plan.event.event_type === "join_guild" && store.get(plan.event.user).guild === plan.event.guild) {
    throw new BadRequestError(409, `User ${plan.event.user} is already in guild ${plan.event.guild}: join another guild.`, { user: plan.event.user, guild: plan.event.guild });
  }
  return plan;
}
