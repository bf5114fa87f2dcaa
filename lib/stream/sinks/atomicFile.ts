import { promises as fs } from "node:fs";
import * as path from "node:path";
import { SinkError } from "../../errors";

/**
 * Writes `data` to `target` so that no reader ever sees a partial file: the bytes go to a hidden
 * temp name in the same folder (same device, so the rename is atomic), are flushed to disk, then
 * the file is renamed into place. The temp name starts with "." and ends in ".tmp", so a reader
 * listing `*.parquet` never picks it up.
 *
 * @throws SinkError (`SINK_IO`) naming `target` when the write or the rename fails
 * @example
 * await writeFileAtomic("results/stream/output/windowed/batch-000003.parquet", frame.writeParquet());
 */
export async function writeFileAtomic(target: string, data: Uint8Array): Promise<void> {
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.tmp`);
  try {
    const handle = await fs.open(temp, "w");
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temp, target);
  } catch (e) {
    await fs.rm(temp, { force: true }).catch(() => undefined);
    throw new SinkError(target, `could not write the file (${(e as Error).message}); check the folder exists, is writable and the disk has space`, e);
  }
}

/** True for the temp names {@link writeFileAtomic} uses (left behind only if the process died). */
export function isTempName(name: string): boolean {
  return name.startsWith(".") && name.endsWith(".tmp");
}
