import assert from "node:assert/strict";
import { OptionError } from "../../lib/errors";
import { parseSpeed, parseStart, resolveReplayOptions, REPLAY_DEFAULTS, type ReplayOptions } from "../../lib/replay/options";
import { Replay } from "../../lib/replay/replay";
import { MemorySink } from "../../lib/sinks/memory";
import { systemClock } from "../../lib/replay/clock";

function rejectsOption(options: Partial<ReplayOptions>, option: string): void {
  assert.throws(
    () => resolveReplayOptions({ sinks: new MemorySink(), ...options } as ReplayOptions),
    (e: unknown) => e instanceof OptionError && e.code === "BAD_OPTION" && e.context.option === option && e.message.includes(option),
  );
}

describe("replay options", () => {
  it("applies the defaults", () => {
    const o = resolveReplayOptions({ sinks: new MemorySink() });
    assert.equal(o.data, REPLAY_DEFAULTS.data);
    assert.equal(o.speed, 1);
    assert.equal(o.schedule, "partition");
    assert.equal(o.loop, false);
    assert.equal(o.startMs, undefined);
    assert.equal(o.timeLimit, undefined);
    assert.equal(o.maxEvents, undefined);
    assert.equal(o.clock, systemClock);
    assert.equal(o.sinks.length, 1);
    assert.equal(typeof o.reader.prefetch, "function", "parquet decoded on a worker thread by default");
    assert.equal(resolveReplayOptions({ sinks: new MemorySink(), readInWorker: false }).reader.prefetch, undefined);
  });

  it("parses speeds: numbers above 0 and max", () => {
    assert.equal(parseSpeed("20"), 20);
    assert.equal(parseSpeed("0.5"), 0.5);
    assert.equal(parseSpeed(3), 3);
    assert.equal(parseSpeed("max"), "max");
    for (const bad of ["0", "-1", "fast", "", "Infinity"]) assert.throws(() => parseSpeed(bad, "--speed"), (e: unknown) => e instanceof OptionError && e.context.option === "--speed");
  });

  it("parses start instants as UTC ISO-8601", () => {
    assert.equal(parseStart("2020-01-01T00:00:00Z"), Date.UTC(2020, 0, 1));
    assert.equal(parseStart("2020-01-01T00:00:00"), Date.UTC(2020, 0, 1), "no zone means UTC");
    assert.equal(parseStart("2020-01-01T01:00:00+01:00"), Date.UTC(2020, 0, 1));
    assert.equal(parseStart("2020-01-01"), Date.UTC(2020, 0, 1));
    assert.equal(parseStart(new Date(Date.UTC(2021, 5, 1))), Date.UTC(2021, 5, 1));
    for (const bad of ["yesterday", "2020-13-45T00:00:00Z", "1577836800000", ""]) assert.throws(() => parseStart(bad), OptionError, bad);
    assert.throws(() => parseStart(new Date("nope")), OptionError);
  });

  it("names the option in every rejection", () => {
    rejectsOption({ data: "" }, "data");
    rejectsOption({ speed: 0 }, "speed");
    rejectsOption({ speed: "fast" as unknown as number }, "speed");
    rejectsOption({ start: "soon" }, "start");
    rejectsOption({ loop: "yes" as unknown as boolean }, "loop");
    rejectsOption({ schedule: "random" as "row" }, "schedule");
    rejectsOption({ timeLimit: -1 }, "timeLimit");
    rejectsOption({ maxEvents: 2.5 }, "maxEvents");
    rejectsOption({ maxEvents: 0 }, "maxEvents");
    rejectsOption({ signal: {} as AbortSignal }, "signal");
    rejectsOption({ onProgress: 3 as unknown as () => void }, "onProgress");
    rejectsOption({ clock: { now: () => 0 } as never }, "clock");
    rejectsOption({ readInWorker: "no" as unknown as boolean }, "readInWorker");
    rejectsOption({ sinks: [] }, "sinks");
    rejectsOption({ sinks: [{ name: "x" }] as never }, "sinks");
    rejectsOption({ sinks: [new MemorySink(), new MemorySink()] }, "sinks");
  });

  it("validates at construction, before anything runs", () => {
    assert.throws(() => new Replay({ sinks: new MemorySink(), speed: -2 }), OptionError);
  });
});
