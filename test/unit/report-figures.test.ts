import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import pl from "nodejs-polars";
import { isStreamlabError } from "../../lib/errors";
import { accelerationFigure, accelerationMagnitude, latestWindows, speedFigure, trackFigure } from "../../lib/report";

const ROOT = path.resolve(__dirname, "../..");
const t = (s: number): Date => new Date(Date.UTC(2020, 0, 1) + s * 1000);
const plotlyDate = (d: Date): string => d.toISOString().replace("T", " ").replace("Z", "");

/** Update-mode output: window (A, 0 s) written twice (batch 0 then 2), the later value is current. */
function windowedFrame(): pl.DataFrame {
  const rows = [
    { ride_id: "ride-a", start: 0, mean: 5, count: 2, batch: 0 },
    { ride_id: "ride-a", start: 15, mean: 7.5, count: 4, batch: 1 },
    { ride_id: "ride-a", start: 0, mean: 6, count: 3, batch: 2 },
    { ride_id: "ride-b", start: 15, mean: 12.25, count: 5, batch: 2 },
    { ride_id: "ride-b", start: 0, mean: 11, count: 5, batch: 1 },
  ];
  return pl.DataFrame({
    ride_id: rows.map((r) => r.ride_id),
    window_start: pl.Series("window_start", rows.map((r) => t(r.start))).cast(pl.Datetime("ms")),
    window_end: pl.Series("window_end", rows.map((r) => t(r.start + 15))).cast(pl.Datetime("ms")),
    mean_speed: rows.map((r) => r.mean),
    count: pl.Series("count", rows.map((r) => r.count), pl.Int64),
    batch_id: pl.Series("batch_id", rows.map((r) => r.batch), pl.Int64),
  });
}

function expectBadOption(fn: () => unknown, option: string): void {
  assert.throws(fn, (e: unknown) => isStreamlabError(e, "BAD_OPTION") && e.context.option === option);
}

describe("report: speedFigure", () => {
  it("keeps the latest row of each (ride_id, window_start), by batch_id", () => {
    const latest = latestWindows(windowedFrame()).sort(["ride_id", "window_start"]);
    assert.deepEqual(latest.getColumn("mean_speed").toArray(), [6, 7.5, 11, 12.25]);
    assert.deepEqual(latest.getColumn("batch_id").toArray(), [2, 1, 1, 2]);
  });

  it("draws one trace per ride whose points are that ride's latest windows, in time order", () => {
    const frame = windowedFrame();
    const fig = speedFigure(frame);
    assert.deepEqual(fig.data.map((tr) => tr.name), ["ride-a", "ride-b"]);
    const latest = latestWindows(frame);
    for (const trace of fig.data) {
      const rows = latest.filter(pl.col("ride_id").eq(pl.lit(trace.name))).sort("window_start");
      assert.deepEqual(trace.x, (rows.getColumn("window_start").toArray() as unknown as Date[]).map(plotlyDate));
      assert.deepEqual(trace.y, rows.getColumn("mean_speed").toArray());
      assert.deepEqual(trace.customdata!.map((c) => c[1]), rows.getColumn("count").toArray());
    }
    assert.equal((fig.layout.xaxis as { type: string }).type, "date");
  });

  it("shortens ride ids in the legend to idLength characters", () => {
    assert.deepEqual(speedFigure(windowedFrame(), { idLength: 4 }).data.map((tr) => tr.name), ["ride", "ride"]);
  });

  it("gives an empty frame no traces and a notice instead of a blank chart", () => {
    const fig = speedFigure(windowedFrame().head(0));
    assert.equal(fig.data.length, 0);
    assert.match(JSON.stringify(fig.layout.annotations), /No rows yet/);
  });

  it("rejects a frame without the windowed columns, naming the argument and the missing column", () => {
    expectBadOption(() => speedFigure(windowedFrame().drop("mean_speed")), "windowed");
    assert.throws(() => speedFigure(windowedFrame().drop("mean_speed")), /mean_speed missing/);
    expectBadOption(() => speedFigure(windowedFrame(), { height: 10 }), "height");
  });
});

describe("report: accelerationFigure", () => {
  // A full outer join's output: matched rows, a location without accelerations, accelerations without a location.
  const joined = pl.DataFrame({
    uuid: ["u1", "u1", "u2", "u1", "u2", "u3"],
    acc_timestamp: pl.Series("acc_timestamp", [t(2), t(1), t(1), null, t(5), t(3)]).cast(pl.Datetime("ms")),
    speed: [3, 3, 8.5, 4, null, null],
    x: [0.1, -0.2, 0.3, null, 0.5, 0.1],
    y: [0.2, 0.1, 0.9, null, 0.5, 0.1],
    z: [0.98, 1.01, 0.7, null, 1, 1],
  });

  it("plots |a| = sqrt(x²+y²+z²) against speed, one trace per ride, leaving out rows without a match", () => {
    const fig = accelerationFigure(joined);
    assert.deepEqual(fig.data.map((tr) => tr.name), ["u1", "u2"]); // u3 matched nothing
    const matched = joined.filter(pl.col("speed").isNotNull().and(pl.col("x").isNotNull())).sort(["uuid", "acc_timestamp"]);
    for (const trace of fig.data) {
      const rows = matched.filter(pl.col("uuid").eq(pl.lit(trace.name)));
      assert.deepEqual(trace.x, rows.getColumn("speed").toArray());
      const [x, y, z] = ["x", "y", "z"].map((c) => rows.getColumn(c).toArray() as number[]);
      const expected = x.map((_, i) => Math.hypot(x[i], y[i], z[i]));
      assert.equal(trace.y.length, expected.length);
      trace.y.forEach((v, i) => assert.ok(Math.abs((v as number) - expected[i]) < 1e-12, `point ${i}: ${v} vs ${expected[i]}`));
    }
    assert.equal(fig.data.reduce((n, tr) => n + tr.x.length, 0), matched.height);
  });

  it("computes the magnitude only when all three components are there", () => {
    assert.equal(accelerationMagnitude(3, 4, 12), 13);
    assert.equal(accelerationMagnitude(3, null, 12), null);
    assert.equal(accelerationMagnitude(Number.NaN, 1, 1), null);
  });

  it("rejects a frame without x, y, z", () => {
    expectBadOption(() => accelerationFigure(joined.drop("z")), "joined");
  });
});

describe("report: trackFigure", () => {
  /** The shipped sample's locations, read straight from its parquet files. */
  function sampleLocations(): pl.DataFrame {
    const dir = path.join(ROOT, "data/bdd/locations");
    const frames = fs.readdirSync(dir).flatMap((p) => fs.readdirSync(path.join(dir, p)).filter((f) => f.endsWith(".parquet")).map((f) => pl.readParquet(path.join(dir, p, f))));
    return pl.concat(frames, { how: "diagonalRelaxed" });
  }

  it("draws every ride of the sample as one trace of its fixes in time order", function () {
    if (!fs.existsSync(path.join(ROOT, "data/bdd/locations"))) this.skip();
    const locations = sampleLocations();
    const fig = trackFigure(locations, { timeColumn: "offset" });
    const rides = [...new Set(locations.getColumn("ride_id").toArray() as string[])].sort();
    assert.deepEqual(fig.data.map((tr) => tr.name), rides.map((r) => r.slice(0, 8)));
    assert.equal(fig.data.reduce((n, tr) => n + tr.x.length, 0), locations.height);
    for (const [i, ride] of rides.entries()) {
      const rows = locations.filter(pl.col("ride_id").eq(pl.lit(ride))).sort("offset");
      assert.deepEqual(fig.data[i].x, rows.getColumn("longitude").toArray());
      assert.deepEqual(fig.data[i].y, rows.getColumn("latitude").toArray());
    }
  });

  it("puts far-apart rides in separate panels, each with equal distances on both axes", () => {
    const fixes = pl.DataFrame({
      ride_id: ["sf", "sf", "ny", "ny", "sf2"],
      timestamp: pl.Series("timestamp", [t(0), t(3), t(0), t(3), t(0)]).cast(pl.Datetime("ms")),
      latitude: [37.77, 37.78, 40.73, 40.74, 37.8],
      longitude: [-122.42, -122.41, -73.95, -73.94, -122.4],
    });
    const fig = trackFigure(fixes);
    const axisOf = Object.fromEntries(fig.data.map((tr) => [tr.name, tr.xaxis]));
    assert.equal(axisOf.sf, "x");
    assert.equal(axisOf.sf2, "x"); // 4 km from sf: same area, the busiest, first panel
    assert.equal(axisOf.ny, "x2");
    const y2 = fig.layout.yaxis2 as { scaleanchor: string; scaleratio: number };
    assert.equal(y2.scaleanchor, "x2");
    assert.ok(Math.abs(y2.scaleratio - 1 / Math.cos((40.735 * Math.PI) / 180)) < 1e-9);
  });

  it("draws a fix repeated by the joined output once, and skips rows without coordinates", () => {
    const joinedRows = pl.DataFrame({
      uuid: ["u1", "u1", "u1", "u1"],
      loc_timestamp: pl.Series("loc_timestamp", [t(0), t(0), t(3), null]).cast(pl.Datetime("ms")),
      latitude: [37.7, 37.7, 37.71, null],
      longitude: [-122.4, -122.4, -122.41, null],
    });
    const fig = trackFigure(joinedRows);
    assert.equal(fig.data.length, 1);
    assert.deepEqual(fig.data[0].y, [37.7, 37.71]);
  });

  it("names a missing column option", () => {
    const noRide = pl.DataFrame({ timestamp: [t(0)], latitude: [1], longitude: [2] });
    expectBadOption(() => trackFigure(noRide), "rideColumn");
    expectBadOption(() => trackFigure(noRide.withColumns(pl.lit("r").alias("ride_id")), { timeColumn: "when" }), "timeColumn");
  });
});
