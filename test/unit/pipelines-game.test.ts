import assert from "node:assert/strict";
import { isStreamlabError } from "../../lib/errors";
import { BadRequestError, PlayerStore, planRequest, planTraffic, startGameApi, memoryEventLog, type GameApi } from "../../lib/pipelines/game";

const headers = { Host: "h", "User-Agent": "ua", Accept: "*/*" };
const NOW = "2026-11-20T00:00:00.000Z";

function refused(fn: () => unknown, status: number): BadRequestError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof BadRequestError, `expected BadRequestError, got ${e}`);
    assert.equal(e.code, "BAD_REQUEST");
    assert.equal(e.status, status);
    return e;
  }
  assert.fail("expected the request to be refused");
}

describe("game API routes (pure)", () => {
  it("plans a sword purchase as the course's purchase_sword event with its headers and parameters", () => {
    const plan = planRequest({ method: "POST", path: "/purchase_a_sword", params: { user: "ann", quantity: "3", color: "RED" }, headers }, NOW, 100);
    assert.deepEqual(plan.event, { event_type: "purchase_sword", timestamp: NOW, user: "ann", headers, item: "sword", quantity: 3, color: "red" });
  });

  it("refuses unknown items, bad quantities, unknown parameters, routes and methods", () => {
    const req = (path: string, params: Record<string, string>, method = "GET") => () => planRequest({ method, path, params, headers }, NOW, 10);
    assert.match(refused(req("/purchase_item", { item: "dragon" }), 400).message, /Unknown item "dragon": use one of sword/);
    refused(req("/purchase_item", { item: "bow", quantity: "0" }), 400);
    refused(req("/purchase_item", { item: "bow", quantity: "11" }), 400);
    refused(req("/purchase_item", { item: "bow", quantity: "2.5" }), 400);
    refused(req("/purchase_item", {}), 400);
    assert.match(refused(req("/purchase_item", { item: "bow", colour: "red" }), 400).message, /Unknown parameter "colour"/);
    refused(req("/purchase_a_sword", { item: "bow" }), 400);
    refused(req("/join_guild", { guild: "pirates" }), 400);
    refused(req("/purchase_item", { item: "bow", user: "a b" }), 400);
    refused(req("/nope", {}), 404);
    refused(req("/", {}, "DELETE"), 405);
  });

  it("refuses to join the guild a player is already in (409), before logging", () => {
    const store = new PlayerStore();
    store.joinGuild("ann", "mages");
    refused(() => planRequest({ method: "GET", path: "/join_guild", params: { user: "ann", guild: "mages" }, headers }, NOW, 10, store), 409);
  });

  it("plans the same traffic from the same seed and different traffic from another", () => {
    assert.deepEqual(planTraffic({ count: 30, seed: 4 }), planTraffic({ count: 30, seed: 4 }));
    assert.notDeepEqual(planTraffic({ count: 30, seed: 4 }), planTraffic({ count: 30, seed: 5 }));
    assert.throws(() => planTraffic({ count: -1 }), (e) => isStreamlabError(e, "BAD_OPTION"));
  });
});

describe("game API over real HTTP with an in-memory event log", () => {
  let api: GameApi | undefined;
  afterEach(async () => api?.close());

  it("logs accepted requests, changes state only for them, and answers bad ones with 4xx JSON", async () => {
    const log = memoryEventLog();
    api = await startGameApi(log, { port: 0 });
    const ok = await fetch(`${api.url}/purchase_item?item=shield&quantity=2&color=blue&user=ann`, { headers: { "user-agent": "t" } });
    assert.equal(ok.status, 200);
    const body = (await ok.json()) as { player: { inventory: Record<string, number> } };
    assert.deepEqual(body.player.inventory, { shield: 2 });
    const post = await fetch(`${api.url}/purchase_a_sword`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ user: "ann", quantity: 1 }) });
    assert.equal(post.status, 200);
    const bad = await fetch(`${api.url}/purchase_item?item=shield&quantity=lots&user=ann`);
    assert.equal(bad.status, 400);
    const err = (await bad.json()) as { error: { code: string; parameter: string } };
    assert.equal(err.error.code, "BAD_REQUEST");
    assert.equal(err.error.parameter, "quantity");
    const badJson = await fetch(`${api.url}/purchase_item`, { method: "POST", headers: { "content-type": "application/json" }, body: "{oops" });
    assert.equal(badJson.status, 400);
    const wrongType = await fetch(`${api.url}/purchase_item`, { method: "POST", headers: { "content-type": "text/plain" }, body: "item=bow" });
    assert.equal(wrongType.status, 415);
    assert.deepEqual(log.events.map((e) => e.event_type), ["purchase_item", "purchase_sword"]);
    assert.equal(log.events[0].headers["User-Agent"], "t");
    assert.deepEqual(api.players.get("ann").inventory, { shield: 2, sword: 1 });
  });

  it("answers 503 and changes nothing when the event cannot be logged", async () => {
    api = await startGameApi({ append: async () => Promise.reject(new Error("broker down")), close: async () => {} }, { port: 0 });
    const res = await fetch(`${api.url}/purchase_item?item=bow&user=bob`);
    assert.equal(res.status, 503);
    assert.deepEqual(api.players.get("bob").inventory, {});
    assert.equal(api.logged(), 0);
  });
});
