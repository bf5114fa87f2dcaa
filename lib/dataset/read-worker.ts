/**
 * The worker thread of {@link WorkerReader} (lib/dataset/worker-reader.ts): reads partitions with
 * `readPartitionLayouts` (`readPartition`'s checks and skips) and sends back each one's frames as
 * Arrow IPC bytes, the files' frames concatenated into one when they share a layout (the usual
 * case: then the main thread makes one polars call per partition instead of one per file).
 */
import { parentPort } from "node:worker_threads";
import pl from "nodejs-polars";
import { readPartitionLayouts } from "./read";
import type { Partition, Skipped } from "./types";

/** What the main thread asks: read this partition. */
export interface ReadRequest {
  id: number;
  partition: Partition;
}

/** What comes back: the valid files (names, rows) and their frames, or why the read failed. */
export type ReadReply =
  | {
      id: number;
      files: Array<{ path: string; name: string; rows: number }>;
      skipped: Skipped[];
      rows: number;
      /** The files' frames concatenated in order (one layout), or one IPC per file (layouts differ). */
      ipc: Uint8Array[];
      whole: boolean;
    }
  | { id: number; error: { message: string; stack?: string } };

/** Buffers that own their memory move to the main thread without a copy; others are copied. */
function transferable(buffers: Uint8Array[]): ArrayBuffer[] {
  return buffers.filter((b) => b.byteOffset === 0 && b.byteLength === b.buffer.byteLength).map((b) => b.buffer as ArrayBuffer);
}

parentPort?.on("message", (request: ReadRequest) => {
  void (async () => {
    try {
      const { data, layouts } = await readPartitionLayouts(request.partition);
      const frames = data.files.map((f) => f.frame);
      // One layout: one frame, every column and dtype as read ("diagonal" on equal layouts is the
      // vertical concatenation, and much faster than "vertical" in nodejs-polars 0.24).
      const whole = frames.length > 0 && layouts.size === 1;
      // Rechunked: one chunk per column makes the IPC bytes and every later polars call on the frame
      // (stamping, encoding) several times cheaper than hundreds of one-file chunks.
      const out = whole ? [frames.length === 1 ? frames[0] : pl.concat(frames, { how: "diagonal" }).rechunk()] : frames;
      const ipc = out.map((f) => f.writeIPC() as Uint8Array);
      const message: ReadReply = { id: request.id, files: data.files.map((f) => ({ path: f.path, name: f.name, rows: f.frame.height })), skipped: data.skipped, rows: data.rows, ipc, whole };
      parentPort!.postMessage(message, transferable(ipc));
    } catch (e) {
      parentPort!.postMessage({ id: request.id, error: { message: e instanceof Error ? e.message : String(e), stack: e instanceof Error ? e.stack : undefined } } satisfies ReadReply);
    }
  })();
});
