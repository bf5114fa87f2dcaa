/**
 * The one way streamlab writes a file a reader may be watching: the bytes go to a staged path on the
 * same file system first, then one rename moves them into place. A rename within a file system is
 * atomic, so a reader sees the old file or the new one, never half of one.
 *
 * - {@link stage} + {@link publish}: the two steps apart, for a writer whose staging is part of its
 *   contract (the replay's file stream stages into `staging/` ahead of time and renames into `input/`
 *   at the due moment).
 * - {@link writeFileAtomic} (and {@link writeFileAtomicSync}): both steps, staged under a hidden temp
 *   name beside the target (`.<name>.<pid>.tmp`, which {@link isTempName} recognises) that a failed
 *   write removes.
 *
 * Every failure is a {@link SinkError} (`SINK_IO`) naming the file; `explain` words the rest.
 */
import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, openSync, promises as fs, renameSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { SinkError } from "../errors";

/** What to write: bytes, text, or a function that writes the staged path itself (e.g. `frame.writeParquet(p)`). */
export type FileContent = string | Uint8Array | ((stagedPath: string) => unknown);
/** {@link FileContent} for the synchronous writer: the function must finish before it returns. */
export type FileContentSync = string | Uint8Array | ((stagedPath: string) => void);

export interface AtomicWriteOptions {
  /** Flush the staged bytes to disk before the rename (default true): the file then survives a power cut, not only a crash. */
  sync?: boolean;
  /** A random part in the temp name, for a target several writers may write at once (default false). */
  unique?: boolean;
  /** The error's message after the file name, from the cause; default {@link defaultExplanation}. */
  explain?: (cause: unknown) => string;
}

/** The message of a failed write when the caller gives none. */
export const defaultExplanation = (cause: unknown): string =>
  `could not write the file (${messageOf(cause)}); check the folder exists, is writable and the disk has space`;

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** An I/O error as `ENOSPC (message)`, or its message when it has no code. */
export function ioReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return code ? `${code} (${messageOf(e)})` : messageOf(e);
}

/** The underlying cause of a {@link SinkError} from this module (the I/O error), else `e` itself. */
export function causeOf(e: unknown): unknown {
  return e instanceof SinkError && e.cause !== undefined ? e.cause : e;
}

/** The hidden temp name beside `target` that {@link writeFileAtomic} stages to. */
export function tempPathFor(target: string, unique = false): string {
  const random = unique ? `.${randomBytes(4).toString("hex")}` : "";
  return path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}${random}.tmp`);
}

/** True for the temp names {@link writeFileAtomic} uses (left behind only if the process died). */
export function isTempName(name: string): boolean {
  return name.startsWith(".") && name.endsWith(".tmp");
}

async function fill(staged: string, content: FileContent, sync: boolean): Promise<void> {
  if (typeof content === "function") await content(staged);
  else await fs.writeFile(staged, content);
  if (!sync) return;
  const handle = await fs.open(staged, "r+");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function fillSync(staged: string, content: FileContentSync, sync: boolean): void {
  if (typeof content === "function") content(staged);
  else writeFileSync(staged, content);
  if (!sync) return;
  const fd = openSync(staged, "r+");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes `content` to `stagedPath` (not yet where readers look); a failed write leaves nothing there.
 *
 * @throws SinkError naming `stagedPath`
 * @example
 * await stage((p) => frame.writeParquet(p), "results/stream/staging/locations/t=003.0/a.parquet", { sync: false });
 */
export async function stage(content: FileContent, stagedPath: string, options: AtomicWriteOptions = {}): Promise<void> {
  try {
    await fill(stagedPath, content, options.sync ?? true);
  } catch (e) {
    await fs.rm(stagedPath, { force: true }).catch(() => undefined);
    throw new SinkError(stagedPath, (options.explain ?? defaultExplanation)(e), e);
  }
}

/**
 * Moves a staged file to `target` in one rename (replacing a file there): readers see it whole.
 *
 * @throws SinkError naming `target` (both paths must be on one file system)
 * @example
 * await publish("results/stream/staging/locations/t=003.0/a.parquet", "results/stream/input/locations/t=003.0/a.parquet");
 */
export async function publish(stagedPath: string, target: string, options: Pick<AtomicWriteOptions, "explain"> = {}): Promise<void> {
  try {
    await fs.rename(stagedPath, target);
  } catch (e) {
    throw new SinkError(target, (options.explain ?? defaultExplanation)(e), e);
  }
}

/**
 * Writes `content` to `target` so that no reader ever sees a partial file: staged under a hidden temp
 * name in the same folder, flushed to disk (unless `sync: false`), then renamed into place.
 *
 * @throws SinkError (`SINK_IO`) naming `target` when the write or the rename fails; the temp file is removed
 * @example
 * await writeFileAtomic("results/stream/output/windowed/batch-000003.parquet", frame.writeParquet());
 */
export async function writeFileAtomic(target: string, content: FileContent, options: AtomicWriteOptions = {}): Promise<void> {
  const temp = tempPathFor(target, options.unique);
  try {
    await fill(temp, content, options.sync ?? true);
    await fs.rename(temp, target);
  } catch (e) {
    await fs.rm(temp, { force: true }).catch(() => undefined);
    throw new SinkError(target, (options.explain ?? defaultExplanation)(e), e);
  }
}

/**
 * {@link writeFileAtomic} without leaving the thread: for a small file written between two steps of a
 * hot loop (the replay's progress log), where the async calls' thread-pool round trips cost more than the write.
 *
 * @throws SinkError (`SINK_IO`) naming `target`; the temp file is removed
 * @example
 * writeFileAtomicSync("results/replay/files-progress.json", JSON.stringify(log), { sync: false });
 */
export function writeFileAtomicSync(target: string, content: FileContentSync, options: AtomicWriteOptions = {}): void {
  const temp = tempPathFor(target, options.unique);
  try {
    fillSync(temp, content, options.sync ?? true);
    renameSync(temp, target);
  } catch (e) {
    rmSync(temp, { force: true });
    throw new SinkError(target, (options.explain ?? defaultExplanation)(e), e);
  }
}
