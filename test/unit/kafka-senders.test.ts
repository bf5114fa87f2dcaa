import { strict as assert } from "node:assert";
import { isStreamlabError } from "../../lib/errors";
import { producerClient } from "../../lib/kafka/senders";

describe("kafka: the producer's client (lib/kafka/senders.ts)", () => {
  const saved = process.env.STREAMLAB_KAFKA_CLIENT;
  afterEach(() => {
    if (saved === undefined) delete process.env.STREAMLAB_KAFKA_CLIENT;
    else process.env.STREAMLAB_KAFKA_CLIENT = saved;
  });

  it("is @platformatic/kafka by default, STREAMLAB_KAFKA_CLIENT otherwise, and the option wins over both", () => {
    delete process.env.STREAMLAB_KAFKA_CLIENT;
    assert.equal(producerClient(undefined), "platformatic");
    process.env.STREAMLAB_KAFKA_CLIENT = "kafkajs";
    assert.equal(producerClient(undefined), "kafkajs");
    assert.equal(producerClient("platformatic"), "platformatic");
  });

  it("refuses an unknown client with BAD_OPTION naming the option or the environment variable", () => {
    delete process.env.STREAMLAB_KAFKA_CLIENT;
    assert.throws(() => producerClient("rdkafka"), (e: unknown) => isStreamlabError(e, "BAD_OPTION") && /client/.test(e.message) && /platformatic or kafkajs/.test(e.message));
    process.env.STREAMLAB_KAFKA_CLIENT = "java";
    assert.throws(() => producerClient(undefined), (e: unknown) => isStreamlabError(e, "BAD_OPTION") && /STREAMLAB_KAFKA_CLIENT/.test(e.message));
  });
});
