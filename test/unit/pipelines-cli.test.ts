/**
 * `streamlab pipeline …` reads its flags like every other command: the shared Kafka flags, and bad
 * values reported as BAD_OPTION naming the flag as typed, with exit code 2, before anything connects.
 */
import assert from "node:assert/strict";
import { buildProgram } from "../../lib/cli/main";
import { runCli } from "../helpers/cli";

const KAFKA_FLAGS = ["--bootstrap", "--preset", "--topic-prefix", "--first-name", "--last-name"];

describe("pipeline CLI: flags", function () {
  this.timeout(30_000);

  it("every pipeline that talks to Kafka has the shared Kafka flags", () => {
    const pipeline = buildProgram().commands.find((c) => c.name() === "pipeline")!;
    for (const name of ["game-api", "game-batch", "sales-store", "sales-db", "sales-summary", "wordcount", "iot-produce", "iot-groups"]) {
      const cmd = pipeline.commands.find((c) => c.name() === name)!;
      assert.deepEqual(KAFKA_FLAGS.filter((f) => !cmd.options.some((o) => o.long === f)), [], name);
    }
  });

  const cases: Array<[string[], string]> = [
    [["sales-store", "--count", "-1"], 'Invalid option --count "-1": a whole number >= 0.'],
    [["sales-store", "--max-step", "0"], 'Invalid option --max-step "0": a whole number >= 1.'],
    [["sales-summary", "--size", "2.5"], 'Invalid option --size "2.5": a whole number >= 1.'],
    [["game-traffic", "--bad-share", "2"], 'Invalid option --bad-share "2": a number from 0 to 1.'],
    [["game-traffic", "--count", "many"], 'Invalid option --count "many": a whole number >= 0.'],
    [["game-api", "--port", "x"], 'Invalid option --port "x": a whole number >= 0.'],
    [["wordcount", "--port", "0"], 'Invalid option --port "0": a whole number >= 1.'],
    [["iot-produce", "--seed", "-3"], 'Invalid option --seed "-3": a whole number >= 0.'],
    [["iot-groups", "--count", ""], 'Invalid option --count "": a whole number >= 1.'],
    [["wordcount", "--mode", "append"], 'Invalid option --mode "append": expected one of update, complete.'],
    [["iot-produce", "--first-name", "John"], "Invalid option --last-name"],
  ];
  for (const [args, message] of cases) {
    it(`pipeline ${args.join(" ")}: BAD_OPTION naming the flag, exit code 2`, async () => {
      // An unreachable broker: a value checked too late would fail with BROKER_UNREACHABLE instead.
      const r = await runCli("pipeline", ...args, ...(args[0] === "game-traffic" ? ["--url", "http://127.0.0.1:1"] : ["--bootstrap", "localhost:1"]));
      assert.equal(r.code, 2, r.err);
      assert.ok(r.err.startsWith(`error [BAD_OPTION]: ${message}`), r.err);
    });
  }
});
