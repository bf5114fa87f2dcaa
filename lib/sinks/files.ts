import { existsSync, promises as fs } from "node:fs";
import path from "node:path";
import { OptionError, SinkError } from "../errors";
import { ioReason, publish, stage } from "../files/atomic";
import { yieldToEventLoop } from "../replay/batches";
import type { ReleaseBatch, ReplaySink, ReplaySinkOpenContext } from "../replay/types";

/** Options of the file-stream sink. */
export interface FileSinkOptions {
  /** Output folder; the stream is written to `<out>/input/`, via `<out>/staging/`. Default `results/stream`. */
  out?: string;
  /** Keep what `<out>/input/` already holds and add to it, instead of clearing it at open. Default false. */
  keep?: boolean;
}

export const FILE_SINK_DEFAULTS = { out: "results/stream", keep: false };

/** Applies defaults and validates; throws OptionError naming the option. */
export function resolveFileSinkOptions(options: FileSinkOptions = {}): Required<FileSinkOptions> {
  const out = options.out ?? FILE_SINK_DEFAULTS.out;
  if (typeof out !== "string" || out.trim() === "") throw new OptionError("out", out, 'a folder path, e.g. "results/stream"');
  const keep = options.keep ?? FILE_SINK_DEFAULTS.keep;
  if (typeof keep !== "boolean") throw new OptionError("keep", keep, "true or false");
  return { out: path.resolve(out), keep };
}

interface Staged {
  staged: string;
  target: string;
  rows: number;
  published?: boolean;
}

/**
 * The file stream: each released file is written as parquet to
 * `<out>/staging/<table>/t=SSS.S/<name>` and then renamed into `<out>/input/<table>/t=SSS.S/<name>`
 * (`stage` and `publish` of lib/files/atomic.ts). A rename within one file system is atomic, so a
 * reader polling `input/` sees each file either not at all or whole, never half-written.
 *
 * The replay calls `prepare()` when it reads a partition ahead (the parquet goes to staging/ then),
 * and `write()` at the due moment, which only renames: files appear on time even at high speeds.
 * `write()` without `prepare()` does both. `close()` deletes what was staged but never released
 * (a stopped run), so staging/ ends empty.
 *
 * At `open()` it clears `staging/` and `input/` (only those two folders), unless `keep` is set;
 * with `keep`, a file whose name is taken gets a `-1`, `-2`, … suffix so nothing is overwritten.
 * A resumed run (`open({ resume })`) keeps `input/` too, and a file released again (the release in
 * flight when the interrupted run died) replaces its same-named copy: it appears once.
 *
 * @example
 * const sink = new FileSink({ out: "results/stream" });
 * await replay({ sinks: sink, speed: "max" });
 * sink.stats(); // { batches: 68, files: 808, rows: 23990 }
 */
export class FileSink implements ReplaySink {
  readonly name = "files";
  readonly out: string;
  readonly keep: boolean;
  readonly stagingDir: string;
  readonly inputDir: string;
  /** The output folder (absolute): a resume must write to the same one. */
  readonly destination: string;
  private resuming = false;
  private readonly made = new Set<string>();
  private readonly pending = new Map<ReleaseBatch, Staged[]>();
  private counters = { batches: 0, files: 0, rows: 0 };

  constructor(options: FileSinkOptions = {}) {
    const o = resolveFileSinkOptions(options);
    this.out = o.out;
    this.keep = o.keep;
    this.stagingDir = path.join(this.out, "staging");
    this.inputDir = path.join(this.out, "input");
    this.destination = this.out;
  }

  async open(context: ReplaySinkOpenContext = {}): Promise<void> {
    this.resuming = context.resume !== undefined;
    this.made.clear();
    this.pending.clear();
    this.counters = { batches: 0, files: 0, rows: 0 };
    for (const dir of [this.stagingDir, this.inputDir]) {
      try {
        // staging/ only ever holds leftovers of an interrupted run: always start it empty.
        // input/ holds what an interrupted run published: a resume adds to it.
        if ((!this.keep && !this.resuming) || dir === this.stagingDir) await fs.rm(dir, { recursive: true, force: true });
        await fs.mkdir(dir, { recursive: true });
      } catch (e) {
        throw new SinkError(dir, `cannot prepare the output folder: ${ioReason(e)}. Check the --out path and its permissions.`, e);
      }
    }
  }

  /** Writes the batch's parquet files into staging/ (not visible to readers yet). */
  async prepare(batch: ReleaseBatch, pause: () => Promise<void> = yieldToEventLoop): Promise<void> {
    if (this.pending.has(batch)) return;
    const rel = path.join(batch.table, batch.partition);
    const stagingDir = path.join(this.stagingDir, rel);
    await this.mkdir(stagingDir);
    const staged: Staged[] = [];
    this.pending.set(batch, staged);
    for (const file of batch.files) {
      // writeParquet blocks: let a release that falls due meanwhile go out between files.
      await pause();
      const stagedPath = path.join(stagingDir, file.name);
      await stage((p) => file.frame.writeParquet(p), stagedPath, { sync: false, explain: (e) => `cannot write parquet: ${ioReason(e)}. Check free disk space and permissions.` });
      staged.push({ staged: stagedPath, target: path.join(this.inputDir, rel, file.name), rows: file.frame.height });
    }
  }

  /** Publishes the batch: renames its staged files into input/ (staging them first if needed). */
  async write(batch: ReleaseBatch): Promise<void> {
    if (!this.pending.has(batch)) await this.prepare(batch);
    const staged = this.pending.get(batch) ?? [];
    if (staged.length > 0) await this.mkdir(path.dirname(staged[0].target));
    // Renames of one batch run in parallel: the batch is published as close to its due moment as possible.
    await Promise.all(
      staged.map(async (file) => {
        const target = this.keep ? freeName(file.target) : file.target;
        await publish(file.staged, target, { explain: (e) => `cannot move ${file.staged} into place: ${ioReason(e)}. staging/ and input/ must be on the same file system.` });
        file.published = true;
        this.counters.files++;
        this.counters.rows += file.rows;
      }),
    );
    this.pending.delete(batch);
    this.counters.batches++;
  }

  /** Deletes files staged but never released, and the empty folders left in staging/. */
  async close(): Promise<void> {
    for (const staged of this.pending.values()) {
      for (const f of staged) if (!f.published) await fs.rm(f.staged, { force: true }).catch(() => undefined);
    }
    this.pending.clear();
    await removeEmptyDirs(this.stagingDir, false);
  }

  stats(): Record<string, number> {
    return { ...this.counters };
  }

  private async mkdir(dir: string): Promise<void> {
    if (this.made.has(dir)) return;
    try {
      await fs.mkdir(dir, { recursive: true });
    } catch (e) {
      throw new SinkError(dir, `cannot create the folder: ${ioReason(e)}. Check the --out path and its permissions.`, e);
    }
    this.made.add(dir);
  }
}

/** `name.parquet`, or the first free `name-1.parquet`, `name-2.parquet`, … */
function freeName(target: string): string {
  if (!existsSync(target)) return target;
  const ext = path.extname(target);
  const stem = target.slice(0, target.length - ext.length);
  for (let i = 1; ; i++) {
    const candidate = `${stem}-${i}${ext}`;
    if (!existsSync(candidate)) return candidate;
  }
}

async function removeEmptyDirs(dir: string, removeSelf: boolean): Promise<void> {
  let entries;
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch {
    return; // already gone
  }
  for (const e of entries) if (e.isDirectory()) await removeEmptyDirs(path.join(dir, e.name), true);
  if (removeSelf && (await fs.readdir(dir)).length === 0) await fs.rmdir(dir).catch(() => undefined);
}
