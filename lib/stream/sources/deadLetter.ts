import { promises as fs } from "node:fs";
import * as path from "node:path";
import type { Skipped } from "../../dataset/types";
import { causeOf, writeFileAtomic, type AtomicWriteOptions } from "../../files/atomic";
import type { DroppedRows } from "./fileBatch";

/** A random temp name: two queries may dead-letter the same file at once. */
const ATOMIC: AtomicWriteOptions = { sync: false, unique: true };

/** What a reason file (`<copy>.reason.json`) holds. */
export interface DeadLetterReason {
  /** The input file, as the source read it. */
  file: string;
  code: Skipped["code"];
  reason: string;
  /** Rows the dead-letter file holds, for rows taken out of an otherwise good file. */
  rows?: number;
  /** Rows the input file held, for rows taken out of an otherwise good file. */
  totalRows?: number;
  /** The input's name inside the query (`locations`). */
  source: string;
  /** When it was written (ISO-8601). */
  at: string;
}

/**
 * The file source's dead-letter folder: a COPY of each bad file, and the rows without an event time
 * of an otherwise good file as their own parquet, each beside a `<name>.reason.json`. Paths mirror the
 * input's: `<input>/t=003.0/a.parquet` → `<folder>/t=003.0/a.parquet` (the copy) or
 * `<folder>/t=003.0/a.rows.parquet` (the dropped rows).
 *
 * Why a copy, not a move: the input belongs to its writer (the replay) and may be shared — the
 * windowed, joined and simple queries may read the same folder, and a checkpointed query re-reads the
 * files its offsets log names (`replayable.reread`), a file with dropped rows among them. A moved file
 * would vanish from under them, and make the run depend on which query saw it first. A copy (written
 * under a hidden temp name, then renamed) is idempotent: a restarted query overwrites it with the same bytes.
 *
 * A folder that cannot be written never stops the query: the skip record says so instead.
 */
export class DeadLetterFolder {
  constructor(
    /** The dead-letter folder. */
    readonly dir: string,
    /** The source's input folder, whose layout the folder mirrors. */
    private readonly inputDir: string,
    private readonly source: string,
  ) {}

  /** A bad file skipped whole: copies it; returns its skip record saying where the copy is (or why there is none). */
  async file(skip: Skipped): Promise<Skipped> {
    const target = this.target(skip.path, "");
    const copied = await this.write(target, (temp) => fs.copyFile(skip.path, temp), { file: skip.path, code: skip.code, reason: skip.reason });
    return { ...skip, reason: `${skip.reason}${end(skip.reason)} ${copied ?? `Copied to ${target} (the reason in ${target}.reason.json).`}` };
  }

  /** Rows taken out of a file for lack of an event time: writes them as parquet; returns the skip record to report. */
  async rows(d: DroppedRows, reason: string, code: Skipped["code"]): Promise<Skipped> {
    const target = this.target(d.file.path, ".rows");
    const written = await this.write(target, (temp) => fs.writeFile(temp, d.frame.writeParquet()), { file: d.file.path, code, reason, rows: d.frame.height, totalRows: d.total });
    return { path: d.file.path, code, reason: `${reason} ${written ?? `Written to ${target} (the reason in ${target}.reason.json).`}` };
  }

  /** `<dir>/<the file's path under the input folder>`, with `suffix` before `.parquet`. */
  private target(file: string, suffix: string): string {
    let rel = path.relative(this.inputDir, file);
    if (rel === "" || rel.startsWith("..") || path.isAbsolute(rel)) rel = path.basename(file);
    const ext = path.extname(rel);
    return path.join(this.dir, `${rel.slice(0, rel.length - ext.length)}${suffix}${ext || ".parquet"}`);
  }

  /**
   * Writes the data file (by `fill(temp)`) and its reason file, each to a hidden temp name renamed
   * into place, so a reader never sees half a file. Resolves to undefined when both are written,
   * else to a sentence saying what failed (the data file may be missing when it could not be read).
   */
  private async write(target: string, fill: (temp: string) => Promise<void>, why: Omit<DeadLetterReason, "source" | "at">): Promise<string | undefined> {
    const info: DeadLetterReason = { ...why, source: this.source, at: new Date().toISOString() };
    let failed: string | undefined;
    try {
      await fs.mkdir(path.dirname(target), { recursive: true });
    } catch (e) {
      return `Not written to the dead-letter folder ${this.dir} (${(e as Error).message}); check that it can be written, or set deadLetter: false.`;
    }
    try {
      await writeFileAtomic(target, fill, ATOMIC);
    } catch (e) {
      // An unreadable or vanished input file: keep at least the reason.
      failed = `Could not copy it to the dead-letter folder ${this.dir} (${(causeOf(e) as Error).message}); the reason is in ${target}.reason.json.`;
      info.reason = `${info.reason}${end(info.reason)} ${failed}`;
    }
    try {
      await writeFileAtomic(`${target}.reason.json`, `${JSON.stringify(info, null, 2)}\n`, ATOMIC);
    } catch (e) {
      return `Not written to the dead-letter folder ${this.dir} (${(causeOf(e) as Error).message}); check that it can be written, or set deadLetter: false.`;
    }
    return failed;
  }
}

/** A sentence ends before the next is appended. */
function end(text: string): string {
  return /[.!?]$/.test(text) ? "" : ".";
}

