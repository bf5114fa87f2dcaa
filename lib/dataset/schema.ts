/**
 * The expected schema of the BDD layout, as data: the one place that says which columns each
 * table has, which of them are required, and which polars dtype each must have.
 */
import pl, { type DataType } from "nodejs-polars";
import { DataError } from "../errors";
import type { Table } from "./types";

/** The polars dtype families the schema speaks of (`DataType.variant` names). */
export type DtypeName = "String" | "Float64" | "Datetime" | "Bool";

export interface ColumnSpec {
  name: string;
  dtype: DtypeName;
  /** Required columns must be present with this dtype; optional ones are kept as found. */
  required: boolean;
  description: string;
}

const COMMON_HEAD: ColumnSpec[] = [
  { name: "id", dtype: "String", required: false, description: "source record id (not a row key)" },
  { name: "ride_id", dtype: "String", required: false, description: "ride id, one to one with uuid" },
  { name: "uuid", dtype: "String", required: true, description: "ride key, 32 hex chars; also the file name" },
  { name: "timestamp", dtype: "Datetime", required: false, description: "1970-based and meaningless; the replay replaces it" },
  { name: "offset", dtype: "Float64", required: true, description: "seconds since the start of the recording: the event time" },
];
const COMMON_TAIL: ColumnSpec[] = [
  { name: "timelapse", dtype: "Bool", required: false, description: "recorded in time-lapse mode" },
  { name: "filename", dtype: "String", required: false, description: "source video file name" },
];

/** Columns per table, in the order the real files have them. */
export const SCHEMA: Readonly<Record<Table, readonly ColumnSpec[]>> = {
  locations: [
    ...COMMON_HEAD,
    { name: "course", dtype: "Float64", required: false, description: "heading in degrees, 0 = north" },
    { name: "latitude", dtype: "Float64", required: false, description: "degrees" },
    { name: "longitude", dtype: "Float64", required: false, description: "degrees" },
    { name: "geohash", dtype: "String", required: false, description: "geohash of latitude/longitude" },
    { name: "speed", dtype: "Float64", required: true, description: "m/s" },
    { name: "accuracy", dtype: "Float64", required: false, description: "GPS accuracy in metres" },
    ...COMMON_TAIL,
  ],
  accelerations: [
    ...COMMON_HEAD,
    { name: "x", dtype: "Float64", required: false, description: "acceleration along x, in g" },
    { name: "y", dtype: "Float64", required: false, description: "acceleration along y, in g" },
    { name: "z", dtype: "Float64", required: false, description: "acceleration along z, in g" },
    ...COMMON_TAIL,
  ],
};

/** The polars dtype each column is written with (timestamps in microseconds, as the real data). */
export function polarsDtype(name: DtypeName): DataType {
  switch (name) {
    case "String": return pl.String;
    case "Float64": return pl.Float64;
    case "Bool": return pl.Bool;
    case "Datetime": return pl.Datetime("us");
  }
}

/**
 * The names of a table's required columns.
 * @example
 * requiredColumns("locations"); // ["uuid", "offset", "speed"]
 */
export function requiredColumns(table: Table): string[] {
  return SCHEMA[table].filter((c) => c.required).map((c) => c.name);
}

function dtypeFamily(dtype: DataType): string {
  const v = dtype.variant;
  return v === "Utf8" ? "String" : v;
}

/**
 * Checks that `frame` has the required columns of `table` with their dtypes; throws a DataError
 * (`MISSING_COLUMN` or `BAD_COLUMN_TYPE`) naming `path` and the column otherwise.
 *
 * @example
 * validateFrame("locations", pl.readParquet(file), file); // throws if uuid/offset/speed is missing
 */
export function validateFrame(table: Table, frame: pl.DataFrame, path: string): void {
  // columns + dtypes, not frame.schema: the latter costs ~10 ms per call in nodejs-polars 0.24.
  const names = frame.columns;
  const dtypes = frame.dtypes;
  const schema: Record<string, DataType> = {};
  names.forEach((name, i) => (schema[name] = dtypes[i]));
  for (const spec of SCHEMA[table]) {
    if (!spec.required) continue;
    const found = schema[spec.name];
    if (found === undefined) {
      throw new DataError("MISSING_COLUMN", path, `the ${table} file has no "${spec.name}" column (columns found: ${Object.keys(schema).join(", ") || "none"}); required columns are ${requiredColumns(table).join(", ")}. Fix or remove the file.`, { context: { column: spec.name, table } });
    }
    const family = dtypeFamily(found);
    if (family !== spec.dtype) {
      throw new DataError("BAD_COLUMN_TYPE", path, `column "${spec.name}" has type ${family}, expected ${spec.dtype}. Rewrite the file with the expected type.`, { context: { column: spec.name, table, found: family, expected: spec.dtype } });
    }
  }
}
