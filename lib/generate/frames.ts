/**
 * Turns the rows of one partition (all its rides) into one polars frame with exactly the real
 * data's columns, order and dtypes. One frame per partition, then a slice per ride, because each
 * nodejs-polars call costs about a millisecond whatever its size: per-file frames were 10x slower.
 */
import pl from "nodejs-polars";
import { SCHEMA, polarsDtype } from "../dataset/schema";
import type { Table } from "../dataset/types";
import type { AccelerationRow, LocationRow, Ride } from "./ride";

export interface RideRows<R> {
  ride: Ride;
  rows: R[];
}

function frameOf<R>(table: Table, entries: RideRows<R>[], fields: (keyof R & string)[]): pl.DataFrame {
  const perRow = (get: (ride: Ride) => unknown) => entries.flatMap((e) => e.rows.map(() => get(e.ride)));
  const columns: Record<string, () => unknown[]> = {
    id: () => perRow((r) => r.id),
    ride_id: () => perRow((r) => r.rideId),
    uuid: () => perRow((r) => r.uuid),
    timestamp: () => perRow((r) => r.timestampMicros),
    timelapse: () => perRow(() => false),
    filename: () => perRow((r) => r.filename),
  };
  for (const f of fields) columns[f] = () => entries.flatMap((e) => e.rows.map((row) => row[f]));
  const series = SCHEMA[table].map((spec) => {
    const data = columns[spec.name]();
    // Datetime from integer microseconds: JS Dates only hold milliseconds.
    if (spec.dtype === "Datetime") return pl.Series(spec.name, data as number[], pl.Int64).cast(polarsDtype("Datetime"));
    return pl.Series(spec.name, data, polarsDtype(spec.dtype));
  });
  return pl.DataFrame(series);
}

export function locationsFrame(entries: RideRows<LocationRow>[]): pl.DataFrame {
  return frameOf("locations", entries, ["offset", "course", "latitude", "longitude", "geohash", "speed", "accuracy"]);
}

export function accelerationsFrame(entries: RideRows<AccelerationRow>[]): pl.DataFrame {
  return frameOf("accelerations", entries, ["offset", "x", "y", "z"]);
}
