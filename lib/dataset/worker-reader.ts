/**
 * Reads partitions on a worker thread (lib/dataset/read-worker.ts), so the parquet decoding of
 * thousands of small files runs beside the replay's sends and never blocks its event loop. The main
 * thread turns each partition into one frame with one polars call (the files' frames are slices of
 * it, made when a sink asks for them).
 *
 * Same result as `readPartition` on the main thread: the worker runs it, with its checks and skips.
 * If the worker cannot start or dies, reads fall back to the main thread (nothing is lost; a
 * warning says why once).
 */
import path from "node:path";
import { Worker } from "node:worker_threads";
import pl from "nodejs-polars";
import { readPartition, type ReadOptions } from "./read";
import type { FrameFile, Partition, PartitionData } from "./types";
import type { ReadReply, ReadRequest } from "./read-worker";

interface Waiting {
  resolve(reply: ReadReply): void;
  reject(error: unknown): void;
}

/**
 * A dataset reader whose `read` decodes on a worker thread; `prefetch` starts a read early (the
 * replay's read-ahead asks for the next partitions while it prepares the current one).
 *
 * @example
 * const reader = new WorkerReader();
 * const data = await reader.read(scan.partitions.accelerations[0]);
 * data.frame?.height; // every valid file's rows, in file order
 * await reader.close();
 */
export class WorkerReader {
  private worker: Worker | undefined;
  /** Set once the worker failed: every read then runs on the main thread. */
  private broken: Error | undefined;
  private nextId = 0;
  private readonly waiting = new Map<number, Waiting>();
  /** Reads started by `prefetch`, per partition folder, oldest first. */
  private readonly ahead = new Map<string, Promise<ReadReply | null>[]>();

  /** Starts reading `partition` on the worker; the next `read` of it takes the result. */
  prefetch(partition: Partition): void {
    const list = this.ahead.get(partition.dir) ?? [];
    list.push(this.request(partition));
    this.ahead.set(partition.dir, list);
  }

  /** The partition's valid files and skips, as `readPartition` returns them (plus `frame`: all of them as one). */
  async read(partition: Partition, options: Pick<ReadOptions, "pause"> = {}): Promise<PartitionData> {
    const list = this.ahead.get(partition.dir);
    const started = list?.shift();
    if (list?.length === 0) this.ahead.delete(partition.dir);
    const reply = await (started ?? this.request(partition));
    // null: the worker is gone; read here.
    if (reply === null) return readPartition(partition, options);
    if ("error" in reply) throw Object.assign(new Error(`${partition.dir}: ${reply.error.message}`), { stack: reply.error.stack });
    await options.pause?.();
    return materialize(partition, reply);
  }

  /** Stops the worker (reads still waiting fall back to the main thread). */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    this.broken ??= new Error("closed");
    if (worker) await worker.terminate();
  }

  /** Posts the read; resolves with the worker's reply, or null when the worker is not usable. */
  private request(partition: Partition): Promise<ReadReply | null> {
    const worker = this.broken ? undefined : this.start();
    if (worker === undefined) return Promise.resolve(null);
    const id = this.nextId++;
    const reply = new Promise<ReadReply>((resolve, reject) => this.waiting.set(id, { resolve, reject }));
    worker.postMessage({ id, partition } satisfies ReadRequest);
    // Idle, the worker must not keep the process alive; with reads waiting it must.
    worker.ref();
    return reply.catch(() => null);
  }

  private start(): Worker | undefined {
    if (this.worker) return this.worker;
    try {
      // Under tsx (tests, `npm run`), the worker is TypeScript and needs the same loader.
      const ts = __filename.endsWith(".ts");
      const worker = new Worker(path.join(__dirname, `read-worker.${ts ? "ts" : "js"}`), ts ? { execArgv: ["--require", require.resolve("tsx/cjs")] } : {});
      worker.on("message", (reply: ReadReply) => {
        const w = this.waiting.get(reply.id);
        this.waiting.delete(reply.id);
        if (this.waiting.size === 0) worker.unref();
        w?.resolve(reply);
      });
      worker.on("error", (e) => this.fail(e));
      worker.on("exit", (code) => this.fail(new Error(`the reader thread exited (code ${code})`)));
      this.worker = worker;
      return worker;
    } catch (e) {
      this.fail(e);
      return undefined;
    }
  }

  /** The worker is unusable: waiting reads (and all later ones) run on the main thread. */
  private fail(e: unknown): void {
    if (this.broken === undefined) {
      this.broken = e instanceof Error ? e : new Error(String(e));
      process.emitWarning(`streamlab: reading parquet on the main thread (the reader thread failed: ${this.broken.message})`);
    }
    this.worker = undefined;
    for (const w of this.waiting.values()) w.reject(this.broken);
    this.waiting.clear();
  }
}

/** The reply as PartitionData: one frame for the partition, each file's frame a slice of it on first use. */
function materialize(partition: Partition, reply: Extract<ReadReply, { files: unknown }>): PartitionData {
  const ipc = (bytes: Uint8Array) => pl.readIPC(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  if (!reply.whole) {
    const files: FrameFile[] = reply.files.map((f, i) => ({ path: f.path, name: f.name, frame: ipc(reply.ipc[i]) }));
    return { partition, files, skipped: reply.skipped, rows: reply.rows };
  }
  const whole = ipc(reply.ipc[0]);
  let at = 0;
  const files = reply.files.map((f): FrameFile => {
    const offset = at;
    at += f.rows;
    let frame: pl.DataFrame | undefined;
    return {
      path: f.path,
      name: f.name,
      get frame() {
        return (frame ??= whole.slice(offset, f.rows));
      },
    };
  });
  return { partition, files, skipped: reply.skipped, rows: reply.rows, frame: whole };
}
