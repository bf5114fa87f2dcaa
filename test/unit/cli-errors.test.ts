/**
 * How the CLI reports errors: option errors name the flag the user typed, a wrapped error keeps
 * its cause's advice, and a failed command leaves no signal handler behind.
 */
import assert from "node:assert/strict";
import { Command } from "commander";
import { EventEmitter } from "node:events";
import { AbortedError, KafkaError, OptionError, QueryError } from "../../lib/errors";
import { asCliError, buildProgram, exitQuietlyOnClosedPipe, formatCliError, stoppedExitCode } from "../../lib/cli/main";
import { withInterrupt } from "../../lib/cli/flags";
import { queryOptionsFromCli } from "../../lib/cli/commands/query";
import { createSink } from "../../lib/sinks";
import type { KafkaSink } from "../../lib/sinks/kafka";
import { resolveCourseQueryOptions } from "../../lib/stream/queries";
import { runCli as run } from "../helpers/cli";

describe("cli: error reporting", function () {
  this.timeout(30_000);

  it("renames a library option error to the flag of the running command (maxEvents → --max-events)", () => {
    const command = new Command("replay").option("--max-events <n>").option("--window <d>");
    const renamed = asCliError(new OptionError("maxEvents", 0, "expected a whole number >= 1"), command) as OptionError;
    assert.equal(renamed.option, "--max-events");
    assert.equal(renamed.message, 'Invalid option --max-events 0: expected a whole number >= 1.');
    const notAFlag = new OptionError("keyField", "x", "a column");
    assert.equal(asCliError(notAFlag, command), notAFlag, "an option with no flag keeps its library name");
  });

  it("prints the cause of a wrapped error with its code, and its message when the wrapper lacks it", () => {
    const broker = new KafkaError("BROKER_UNREACHABLE", "Kafka broker localhost:9092 is not reachable. Run `npm run kafka:start`.");
    const terse = formatCliError(new QueryError('query "windowed" failed', { cause: broker }));
    assert.equal(terse, `error [QUERY]: query "windowed" failed\n  caused by [BROKER_UNREACHABLE]: ${broker.message}`);
    const full = formatCliError(new QueryError(`source "locations" failed: ${broker.message}`, { cause: broker }));
    assert.equal(full, `error [QUERY]: source "locations" failed: ${broker.message}\n  caused by [BROKER_UNREACHABLE]`);
  });

  it("names the flags in errors of replay's kafka options (--first-name/--last-name, --preset)", async () => {
    const half = await run("replay", "--sink", "kafka", "--first-name", "John", "--speed", "max");
    assert.equal(half.code, 2, half.err);
    assert.match(half.err, /^error \[BAD_OPTION\]: Invalid option --last-name/);
    const both = await run("replay", "--sink", "kafka", "--preset", "local", "--bootstrap", "localhost:9092");
    assert.equal(both.code, 2, both.err);
    assert.match(both.err, /Invalid option --preset "local": give either bootstrap or preset/);
  });

  // Flags with a fixed list of values (replay --sink/--schedule, consume --format, --preset, pipeline
  // wordcount --mode, …) used commander's `.choices()`, which printed commander's own
  // "error: option '--sink <kind>' argument 's3' is invalid" instead of the BAD_OPTION line every other
  // bad value prints. Every such flag of every command is checked, so a new one cannot regress.
  it("reports a value outside a flag's choices as BAD_OPTION naming the flag, like any bad value (exit code 2)", async () => {
    const cases: Array<{ path: string[]; flag: string; choices: readonly string[] }> = [];
    const walk = (cmd: Command, path: string[]): void => {
      for (const o of cmd.options) if (o.argChoices !== undefined && o.long !== undefined) cases.push({ path, flag: o.long, choices: o.argChoices });
      for (const sub of cmd.commands) walk(sub, [...path, sub.name()]);
    };
    walk(buildProgram(), []);
    for (const flag of ["--sink", "--schedule", "--format", "--preset", "--mode"]) assert.ok(cases.some((c) => c.flag === flag), `${flag} is among the flags checked`);
    for (const { path, flag, choices } of cases) {
      const r = await run(...path, flag, "no-such-value");
      const where = `${path.join(" ")} ${flag}`;
      assert.equal(r.code, 2, where);
      assert.equal(r.err, `error [BAD_OPTION]: Invalid option ${flag} "no-such-value": expected one of ${choices.join(", ")}.`, where);
      assert.equal(r.out, "", where);
    }
  });

  it("still accepts a listed choice and shows the choices in --help", async () => {
    const help = await run("consume", "--help");
    assert.equal(help.code, 0);
    assert.match(help.out, /--format <fmt>[\s\S]*\(choices: "value", "key", "pretty", default: "value"\)/);
    const kafka = await run("replay", "--sink", "kafka", "--schedule", "nope");
    assert.match(kafka.err, /^error \[BAD_OPTION\]: Invalid option --schedule "nope"/, "--sink kafka was accepted; --schedule is the one refused");
  });

  // Regression (SIGINT handler leak): `consume` installed its Ctrl-C handler before subscribing
  // and removed it only after a successful subscribe; a failed one (no broker, missing topic) left
  // it installed, so the next Ctrl-C of the process was swallowed instead of ending it.
  it("consume removes its Ctrl-C handler when subscribing fails", async () => {
    const before = process.listenerCount("SIGINT");
    const r = await run("consume", "--topic", "nope", "--bootstrap", "localhost:1");
    assert.equal(r.code, 1);
    assert.match(r.err, /error \[BROKER_UNREACHABLE\]/);
    assert.equal(process.listenerCount("SIGINT"), before);
  });

  it("replay --sink kafka and query --source kafka derive the same topics from --first-name/--last-name", () => {
    const flags = { firstName: "Jane", lastName: "Doe" };
    const sink = createSink("kafka", flags) as KafkaSink;
    assert.deepEqual(sink.topics, { locations: "DoeJane-locations", accelerations: "DoeJane-accelerations" });
    const { options } = queryOptionsFromCli("windowed", { source: "kafka", ...flags });
    assert.equal(resolveCourseQueryOptions("windowed", options).kafka?.topicPrefix, "DoeJane");
    // And without any prefix flag, both use the names as given.
    assert.deepEqual((createSink("kafka", {}) as KafkaSink).topics, { locations: "locations", accelerations: "accelerations" });
    assert.equal(resolveCourseQueryOptions("windowed", { source: "kafka" }).kafka?.topicPrefix, undefined);
  });
});

describe("cli: stops and closed pipes", () => {
  it("exits with 128 + the stopping signal's number: 130 after Ctrl-C (or no signal noted), 143 after SIGTERM", async () => {
    const stoppedBy = async (signal: NodeJS.Signals) => {
      const run = withInterrupt(async (abort) => {
        await new Promise((resolve) => abort.addEventListener("abort", resolve, { once: true }));
        throw new AbortedError("The test");
      });
      process.emit(signal, signal);
      return run.then(() => assert.fail("expected an AbortedError"), (e: AbortedError) => e);
    };
    assert.equal(stoppedExitCode(await stoppedBy("SIGTERM")), 143);
    assert.equal(stoppedExitCode(await stoppedBy("SIGINT")), 130);
    assert.equal(stoppedExitCode(new AbortedError("A library stop")), 130);
    assert.equal(process.listenerCount("SIGTERM"), 0, "the handlers are gone");
  });

  it("ends quietly with 0 on EPIPE (a reader such as head closed the pipe) and rethrows other stream errors", () => {
    const stream = new EventEmitter() as unknown as NodeJS.WritableStream;
    const exits: number[] = [];
    exitQuietlyOnClosedPipe([stream], (code) => exits.push(code));
    stream.emit("error", Object.assign(new Error("write EPIPE"), { code: "EPIPE" }));
    assert.deepEqual(exits, [0]);
    assert.throws(() => stream.emit("error", Object.assign(new Error("no space"), { code: "ENOSPC" })), /no space/);
  });
});
