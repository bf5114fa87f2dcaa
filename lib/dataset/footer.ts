import { ParquetReader } from "parquetjs-lite";
import { DataError } from "../errors";

/** What a parquet file's footer says, read without decoding any data page. */
export interface ParquetFooter {
  rows: number;
  columns: string[];
}

/**
 * Parses the footer (the thrift metadata) of parquet `bytes` with parquetjs-lite, in JavaScript.
 * A truncated or corrupt file fails here with a clear error instead of reaching the native polars
 * reader, where a corrupt footer could abort the whole process rather than throw.
 *
 * @throws DataError `BAD_PARQUET` naming the file
 */
export async function readParquetFooter(bytes: Buffer, file: string): Promise<ParquetFooter> {
  let reader: ParquetReader;
  try {
    reader = await ParquetReader.openBuffer(bytes);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new DataError("BAD_PARQUET", file, `is not a complete parquet file (${bytes.length} bytes; ${why}): truncated or not parquet. Delete it or write it again.`, { cause: e });
  }
  try {
    const count = reader.getRowCount();
    return { rows: typeof count === "number" ? count : count.toNumber(), columns: Object.keys(reader.getSchema().fields) };
  } finally {
    await reader.close();
  }
}
