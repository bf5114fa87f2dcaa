/**
 * Client failures → KafkaError codes, on the clients' own error classes (no broker): the code is
 * what the CLI's advice and the retry logic branch on.
 */
import assert from "node:assert/strict";
import { asKafkaError } from "../../lib/kafka/failures";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const plt = require("@platformatic/kafka") as { MultipleErrors: new (m: string, e: Error[]) => Error; NetworkError: new (m: string) => Error; ProtocolError: new (id: string) => Error };
const config = { bootstrap: "localhost:9092" };

describe("kafka failures → KafkaError", () => {
  it("a send that gave up after a leader election then refused connections (a broker shutting down) is BROKER_UNREACHABLE", () => {
    const gaveUp = new plt.MultipleErrors("Producing messages failed 4 times.", [
      new plt.MultipleErrors("Received response with error", [new plt.ProtocolError("LEADER_NOT_AVAILABLE")]),
      new plt.NetworkError("Connection to localhost:9092 failed."),
      new plt.NetworkError("Connection to localhost:9092 failed."),
    ]);
    const e = asKafkaError(gaveUp, config, "DoeJohn-locations");
    assert.equal(e.code, "BROKER_UNREACHABLE");
    assert.match(e.message, /localhost:9092 is not reachable/);
    assert.equal(e.context.topic, "DoeJohn-locations");
  });

  it("the last attempt decides: a network blip, then a missing topic, is TOPIC_MISSING", () => {
    const gaveUp = new plt.MultipleErrors("failed 2 times.", [new plt.NetworkError("Connection closed"), new plt.ProtocolError("UNKNOWN_TOPIC_OR_PARTITION")]);
    assert.equal(asKafkaError(gaveUp, config, "DoeJohn-x").code, "TOPIC_MISSING");
  });

  it("a leader election alone is a retriable KAFKA error naming the topic", () => {
    const e = asKafkaError(new plt.ProtocolError("LEADER_NOT_AVAILABLE"), config, "t");
    assert.equal(e.code, "KAFKA");
    assert.equal(e.retriable, true);
    assert.match(e.message, /topic t/);
  });
});
