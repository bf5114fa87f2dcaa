import type pl from "nodejs-polars";
import { CheckpointError, QueryError, isStreamlabError } from "../errors";
import { Checkpoint, type OffsetEntry } from "./checkpoint";
import { sleepFor } from "../replay/clock";
import { resolveWriteStreamOptions, type ResolvedWriteStreamOptions, type WriteStreamOptions } from "./options";
import { failpoint } from "./failpoints";
import { describeQuery, type QueryPlan } from "./plan";
import { BatchProcessor, type BatchResult } from "./processor";
import { ProgressLog } from "./progress";
import { formatWatermark } from "./time";
import type { BatchOutput, OutputMode, ProgressRecord, SourceChunk, StreamSource } from "./types";
import { toSparkProgram, usesKafka } from "../spark/program";
import { runSparkProgram, type SparkProgress } from "../spark/submit";

/** Running totals of a query, for its final summary. */
export interface QueryTotals {
  batches: number;
  inputRows: Record<string, number>;
  outputRows: number;
  rowsDroppedByWatermark: number;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * A streaming query: polls its sources, runs each micro-batch through the plan (late-row drop,
 * state update, emission per output mode, watermark advance, eviction), writes the output to every
 * sink, and records progress. Build one with `readStream(...)...writeStream(options)`; `start()` it.
 *
 * @example
 * const query = readStream(source).writeStream({ sinks: [new ConsoleSink()] }).start();
 * query.lastProgress;           // the last micro-batch's ProgressRecord
 * await query.stop();           // or: await query.awaitTermination() with trigger "once"
 */
export class StreamingQuery {
  readonly name: string;
  private readonly options: ResolvedWriteStreamOptions;
  private readonly processor: BatchProcessor;
  private readonly progress: ProgressLog;
  private readonly controller = new AbortController();
  private running: Promise<void> | null = null;
  private active = false;
  private failure: QueryError | CheckpointError | null = null;
  private nextBatchId = 0;
  /** The watermark in force during the last micro-batch (a different current one calls for a no-data batch). */
  private watermarkOfLastBatch = -Infinity;
  private readonly totalsSoFar: QueryTotals = { batches: 0, inputRows: {}, outputRows: 0, rowsDroppedByWatermark: 0 };
  private checkpoint: Checkpoint | null = null;
  /** The checkpoint holds batches of an earlier run: sinks keep what it wrote. */
  private resuming = false;
  /** Per source, how many skipped files or messages the progress records have counted. */
  private readonly skippedSoFar: Record<string, number> = {};
  /** Batches whose output a run before a restart committed. */
  private committedOnDisk = new Set<number>();
  /** Who {@link onBatch} tells about each micro-batch (live views in notebooks). */
  private readonly batchListeners = new Set<(output: BatchOutput, progress: ProgressRecord) => void>();

  /** The PySpark program that runs the query with engine "spark". */
  private readonly sparkProgram: string | null;

  /**
   * Validates the plan and options (OptionError/QueryError; SparkTranslationError with engine
   * "spark" when a part has no Spark equivalent); prefer `StreamFrame.writeStream`.
   */
  constructor(private readonly plan: QueryPlan, options: WriteStreamOptions) {
    this.options = resolveWriteStreamOptions(options);
    this.name = this.options.name;
    this.processor = new BatchProcessor(plan, this.options.mode, this.options);
    this.sparkProgram = this.options.engine === "spark" ? this.toSpark() : null;
    this.progress = new ProgressLog(this.options.progressHistory, this.options.onProgress);
    for (const input of plan.inputs) this.totalsSoFar.inputRows[input.source.name] = 0;
    if (this.options.trigger.kind === "continuous" && (plan.stateful !== undefined || plan.dedup !== undefined)) {
      const what = plan.stateful === undefined ? "dropDuplicates" : plan.stateful.kind === "join" ? "stream-stream join" : plan.stateful.kind === "aggregate" ? "aggregation" : "stateful operator";
      throw new QueryError(`the continuous trigger runs stateless queries only (select, filter, withColumns, …), and this one has a ${what}: use the default trigger (also low latency) or an interval, as in Spark.`, { context: { option: "trigger" } });
    }
    if (this.options.checkpointLocation !== undefined) {
      const cannot = plan.inputs.find((i) => i.source.replayable === undefined);
      if (cannot) throw new QueryError(`checkpointLocation: the input "${cannot.source.name}" cannot be read again after a restart, so the query cannot be checkpointed; checkpoints work with the file stream source (fileStreamSource) and the Kafka source (kafkaSource).`, { context: { option: "checkpointLocation" } });
    }
  }

  /**
   * The query as a PySpark Structured Streaming program (its text): the same inputs, operator,
   * output mode, trigger and outputs (docs/spark.md). `engine: "spark"` runs exactly this program.
   *
   * @throws SparkTranslationError (`NO_SPARK_EQUIVALENT`) naming the operator, source or sink Spark cannot run
   * @example
   * console.log(windowedSpeeds(source, { watermark: "30 seconds", window: "15 seconds" })
   *   .writeStream({ mode: "update", sinks: [parquetSink({ dir: "out/windowed" })] }).toSpark());
   */
  toSpark(): string {
    return toSparkProgram(this.plan, this.options);
  }

  /** Starts the micro-batch loop in the background and returns this query. */
  start(): this {
    if (this.running !== null) throw new QueryError(`query "${this.name}" was already started; build a new one with writeStream(...) to run again.`);
    const external = this.options.signal;
    const onAbort = () => this.controller.abort();
    if (external) {
      if (external.aborted) this.controller.abort();
      else external.addEventListener("abort", onAbort, { once: true });
    }
    this.active = true;
    this.running = this.run().finally(() => external?.removeEventListener("abort", onAbort));
    return this;
  }

  /** Stops after the micro-batch in progress (no end-of-input flush), closes sources and sinks. */
  async stop(): Promise<void> {
    this.controller.abort();
    if (this.running) await this.running;
  }

  /**
   * Resolves when the query ends (input exhausted, `once` done, stop or abort); rejects with the
   * QueryError that stopped it when a source, the processing or a sink failed.
   */
  async awaitTermination(): Promise<void> {
    if (this.running === null) throw new QueryError(`query "${this.name}" was not started; call start() first.`);
    await this.running;
    if (this.failure) throw this.failure;
  }

  get isActive(): boolean {
    return this.active;
  }

  /** The error that stopped the query, or null. */
  get exception(): QueryError | CheckpointError | null {
    return this.failure;
  }

  /** The last micro-batch's progress record (null before the first). */
  get lastProgress(): ProgressRecord | null {
    return this.progress.last;
  }

  /** The most recent progress records (up to `progressHistory`), oldest first. */
  get recentProgress(): ProgressRecord[] {
    return this.progress.recent;
  }

  /** Totals since start: batches, input rows per source, output rows, rows dropped by the watermark. */
  get totals(): QueryTotals {
    return { ...this.totalsSoFar, inputRows: { ...this.totalsSoFar.inputRows } };
  }

  /** The output mode the sinks receive batches in. */
  get outputMode(): OutputMode {
    return this.options.mode;
  }

  /**
   * The columns that identify an output row of an aggregation (its keys, and `window_start`,
   * `window_end` when windowed): in update mode a later row with the same values replaces it.
   * Undefined for a query without aggregation.
   */
  get outputKeys(): string[] | undefined {
    const st = this.plan.stateful;
    return st?.kind === "aggregate" ? [...st.keys, ...(st.window ? ["window_start", "window_end"] : [])] : undefined;
  }

  /**
   * Calls `listener` after every micro-batch with the rows it emitted and its progress record
   * (after the sinks wrote them). A throwing listener is ignored. Returns a function that stops it.
   *
   * @example
   * const off = query.onBatch((output, progress) => console.log(progress.batchId, output.frame.height));
   * off();
   */
  onBatch(listener: (output: BatchOutput, progress: ProgressRecord) => void): () => void {
    if (typeof listener !== "function") throw new QueryError(`onBatch of query "${this.name}" takes a function (output, progress) => void.`);
    this.batchListeners.add(listener);
    return () => { this.batchListeners.delete(listener); };
  }

  /** Files or messages the sources passed over (bad files), with reasons. */
  skipped(): ReturnType<StreamSource["skipped"]> {
    return this.plan.inputs.flatMap((i) => i.source.skipped());
  }

  private get sources(): StreamSource[] {
    return this.plan.inputs.map((i) => i.source);
  }

  private async run(): Promise<void> {
    const signal = this.controller.signal;
    const opened: typeof this.options.sinks = [];
    try {
      if (this.sparkProgram !== null) return await this.runOnSpark(this.sparkProgram, signal);
      const logged = await this.openCheckpoint();
      for (const sink of this.options.sinks) {
        try { await sink.open({ queryName: this.name, resuming: this.resuming, checkpointed: this.checkpoint !== null, ...(this.checkpoint === null ? {} : { checkpoint: { id: this.checkpoint.id, dir: this.checkpoint.dir } }) }); } catch (e) { throw new QueryError(`sink "${sink.name}" could not open: ${message(e)}`, { cause: e, context: { sink: sink.name } }); }
        opened.push(sink);
      }
      await this.resume(logged, signal);
      if (this.options.trigger.kind === "continuous") for (const source of this.sources) source.lowLatency?.();
      if (this.options.trigger.kind === "once") await this.runOnce(signal);
      else await this.runContinuous(signal);
    } catch (e) {
      if (!(signal.aborted && isAbort(e))) this.failure = e instanceof QueryError || e instanceof CheckpointError ? e : new QueryError(`query "${this.name}" failed: ${message(e)}`, { cause: e });
    } finally {
      for (const s of [...opened, ...this.sources]) {
        try { await s.close(); } catch (e) {
          this.failure ??= new QueryError(`closing "${s.name}" failed: ${message(e)}`, { cause: e });
        }
      }
      this.active = false;
    }
  }

  /** Engine "spark": spark-submit runs the program, which writes the outputs; its progress lines become progress records. */
  private async runOnSpark(program: string, signal: AbortSignal): Promise<void> {
    await runSparkProgram(program, {
      master: this.options.master,
      kafka: usesKafka(this.plan, this.options),
      name: this.name,
      signal,
      onProgress: (p: SparkProgress) => this.recordSparkProgress(p),
    });
  }

  private recordSparkProgress(p: SparkProgress): void {
    const ms = (k: string) => p.durationMs[k] ?? 0;
    const record: ProgressRecord = {
      batchId: p.batchId,
      numInputRows: p.numInputRows,
      numOutputRows: p.numOutputRows,
      rowsDroppedByWatermark: p.rowsDroppedByWatermark,
      watermark: p.watermark,
      stateRows: p.stateRows,
      durationMs: { poll: ms("latestOffset") + ms("getBatch"), process: ms("addBatch"), sink: 0, total: ms("triggerExecution") },
      timestamp: p.timestamp,
    };
    this.addToTotals(record);
    this.progress.add(record);
  }

  /** Adds a micro-batch's counts to the query's totals (the polars engine's and Spark's batches alike). */
  private addToTotals(record: ProgressRecord): void {
    const totals = this.totalsSoFar;
    totals.batches++;
    for (const [k, v] of Object.entries(record.numInputRows)) totals.inputRows[k] = (totals.inputRows[k] ?? 0) + v;
    totals.outputRows += record.numOutputRows;
    totals.rowsDroppedByWatermark += record.rowsDroppedByWatermark;
  }

  /** Polls one source; a failing source stops the query with a QueryError naming it. Empty chunks are dropped. */
  private async pollSource(source: StreamSource, signal: AbortSignal): Promise<{ source: string; chunk: SourceChunk }[]> {
    for (;;) {
      let chunks: SourceChunk[];
      try { chunks = await source.poll(signal); } catch (e) {
        if (signal.aborted && isAbort(e)) throw e;
        throw new QueryError(`source "${source.name}" failed: ${message(e)}`, { cause: e, context: { source: source.name } });
      }
      // Empty chunks (an empty file, a poll with nothing new) are not input: no micro-batch for them.
      // A poll of only empty chunks says nothing about what comes next: ask again.
      const rows = chunks.filter((c) => c.frame.height > 0).map((chunk) => ({ source: source.name, chunk }));
      if (rows.length > 0 || chunks.length === 0 || signal.aborted) return rows;
    }
  }

  /** Polls every source once. */
  private async pollAll(signal: AbortSignal): Promise<{ source: string; chunk: SourceChunk }[]> {
    const out: { source: string; chunk: SourceChunk }[] = [];
    for (const source of this.sources) out.push(...(await this.pollSource(source, signal)));
    return out;
  }

  /**
   * `once` (Spark's availableNow): what the sources hold when the query starts, in micro-batches as
   * large as one poll of each source (each bounds it: `maxFilesPerTrigger`, `maxOffsetsPerTrigger`),
   * then the end-of-input flush. Nothing is held beyond one micro-batch's input.
   */
  private async runOnce(signal: AbortSignal): Promise<void> {
    if (this.options.batchPerPartition) return this.runOncePerPartition(signal);
    for (;;) {
      const t0 = performance.now();
      const got = await this.pollAll(signal);
      if (got.length === 0 || signal.aborted) break;
      await this.runBatch(got, false, performance.now() - t0);
    }
    if (!signal.aborted && (this.processor.needsFlush || this.unreportedSkips())) await this.runBatch([], true, 0);
  }

  /** A source passed over input (bad files, bad messages) that no progress record counted yet. */
  private unreportedSkips(): boolean {
    return this.sources.some((s) => s.skipped().filter((k) => k.code !== "NO_DATA").length > (this.skippedSoFar[s.name] ?? 0));
  }

  /**
   * `once` with `batchPerPartition`: one micro-batch per partition time (`t=…`) across inputs, in
   * time order, as the replay released them. A partition runs once every input has read past it
   * (or has nothing more), so at most a poll's worth per input is held. Chunks without a partition
   * time (Kafka) run as they come.
   */
  private async runOncePerPartition(signal: AbortSignal): Promise<void> {
    let pending: { source: string; chunk: SourceChunk }[] = [];
    const done = new Set<string>();
    let pollMs = 0;
    const timeOf = (c: SourceChunk) => c.partitionTime ?? -Infinity;
    while (!signal.aborted) {
      const min = pending.length === 0 ? Infinity : Math.min(...pending.map((p) => timeOf(p.chunk)));
      // An input whose pending chunks all sit at or before `min` may still hold more of that partition.
      const behind = this.sources.filter((s) => !done.has(s.name) && !pending.some((p) => p.source === s.name && timeOf(p.chunk) > min));
      if (min > -Infinity && behind.length > 0) {
        const t0 = performance.now();
        for (const source of behind) {
          const got = await this.pollSource(source, signal);
          if (got.length === 0) done.add(source.name);
          pending.push(...got);
        }
        pollMs += performance.now() - t0;
        continue;
      }
      if (pending.length === 0) break;
      const batch = pending.filter((p) => timeOf(p.chunk) === min);
      pending = pending.filter((p) => timeOf(p.chunk) !== min);
      await this.runBatch(batch, false, pollMs);
      pollMs = 0;
    }
    if (!signal.aborted && (this.processor.needsFlush || this.unreportedSkips())) await this.runBatch([], true, 0);
  }

  /** Default and interval triggers: run until stopped or until every source is exhausted. */
  private async runContinuous(signal: AbortSignal): Promise<void> {
    const trigger = this.options.trigger;
    while (!signal.aborted) {
      const t0 = performance.now();
      const got = await this.pollAll(signal);
      if (signal.aborted) return;
      const pollMs = performance.now() - t0;
      let ran = false;
      if (got.length > 0) {
        await this.runBatch(got, false, pollMs);
        ran = true;
      } else if (this.sources.every((s) => s.exhausted())) {
        if (this.processor.needsFlush) await this.runBatch([], true, pollMs);
        return;
      } else if (this.processor.watermark.current !== this.watermarkOfLastBatch && this.processor.stateRows > 0) {
        // No new input, but the watermark moved at the end of the last batch (it applies from the
        // next one): a no-data batch emits and evicts what became final under it.
        await this.runBatch([], false, pollMs);
        ran = true;
      }
      // Idle: sleep what is left of idleSleep after the poll, which a waiting source (Kafka) spent
      // already; sleeping on top of it would delay rows that arrive meanwhile.
      const wait = trigger.kind === "interval" ? trigger.ms - (performance.now() - t0) : ran ? 0 : this.options.idleSleepMs - pollMs;
      await sleepFor(wait, signal);
    }
  }

  /**
   * With `checkpointLocation`: opens the checkpoint (refusing one written by another query),
   * restores the latest state snapshot, and returns the logged batches not covered by it.
   */
  private async openCheckpoint(): Promise<OffsetEntry[]> {
    const dir = this.options.checkpointLocation;
    if (dir === undefined) return [];
    const cp = await Checkpoint.open(dir, describeQuery(this.plan, this.options.mode));
    this.checkpoint = cp;
    const offsets = await cp.offsets();
    this.resuming = offsets.length > 0;
    const snap = await cp.latestSnapshot();
    if (snap !== null) {
      this.processor.restore(snap.processor);
      this.nextBatchId = snap.loop.nextBatchId;
      this.watermarkOfLastBatch = Number(snap.loop.watermarkOfLastBatch);
    }
    // Everything logged was taken from the sources: no later poll reads it again.
    for (const input of this.plan.inputs) input.source.replayable!.skip(offsets.flatMap((e) => e.inputs[input.source.name] ?? []));
    this.committedOnDisk = await cp.committed();
    return offsets.filter((e) => e.batchId >= this.nextBatchId);
  }

  /** Runs the logged batches after the snapshot again: same input, same batch ids; sinks skip the committed ones. */
  private async resume(logged: OffsetEntry[], signal: AbortSignal): Promise<void> {
    for (const entry of logged) {
      if (signal.aborted) return;
      if (entry.batchId !== this.nextBatchId) throw new CheckpointError(this.options.checkpointLocation!, `the offsets log jumps from batch ${this.nextBatchId - 1} to ${entry.batchId}; delete the folder (and the query's output) to start over.`);
      const got: { source: string; chunk: SourceChunk }[] = [];
      for (const input of this.plan.inputs) {
        const origins = entry.inputs[input.source.name] ?? [];
        if (origins.length === 0) continue;
        for (const chunk of await input.source.replayable!.reread(origins)) if (chunk.frame.height > 0) got.push({ source: input.source.name, chunk });
      }
      await this.runBatch(got, entry.final, 0, entry);
    }
  }

  /** One micro-batch: log its input (checkpoint), process, write to every sink, commit, record progress. */
  private async runBatch(got: { source: string; chunk: SourceChunk }[], final: boolean, pollMs: number, logged?: OffsetEntry): Promise<void> {
    const started = new Date();
    const t0 = performance.now();
    const batchId = this.nextBatchId++;
    const cp = this.checkpoint;
    if (cp !== null && logged === undefined) {
      const inputs: Record<string, unknown[]> = {};
      for (const input of this.plan.inputs) inputs[input.source.name] = [];
      for (const { source, chunk } of got) if (chunk.origin !== undefined) inputs[source].push(chunk.origin);
      await cp.logOffsets({ batchId, final, inputs });
    }
    let result: BatchResult;
    try {
      result = this.processor.process(byInput(got), batchId, final);
    } catch (e) {
      if (e instanceof QueryError) throw e;
      throw new QueryError(`query "${this.name}" failed in batch ${batchId}: ${message(e)}`, { cause: e, context: { batchId } });
    }
    // The flush reports +Infinity but leaves the watermark where what it emitted is final: nothing is due after it.
    this.watermarkOfLastBatch = final ? this.processor.watermark.current : result.watermarkMs;
    const t1 = performance.now();
    // A re-run batch whose output was committed before the stop is not written again.
    if (!this.committedOnDisk.has(batchId)) {
      for (const sink of this.options.sinks) {
        try {
          await sink.write({ batchId, mode: this.options.mode, frame: result.frame });
        } catch (e) {
          throw new QueryError(`sink "${sink.name}" failed writing batch ${batchId}: ${message(e)}`, { cause: e, context: { sink: sink.name, batchId } });
        }
      }
      failpoint("after-sinks", batchId, result.frame.height > 0);
      await cp?.commit(batchId);
    }
    const t2 = performance.now();
    const latencyMs = this.options.trigger.kind === "continuous" ? rowLatencies(got, Date.now()) : undefined;
    const numSkipped: Record<string, number> = {};
    for (const source of this.sources) {
      const n = source.skipped().filter((k) => k.code !== "NO_DATA").length;
      numSkipped[source.name] = n - (this.skippedSoFar[source.name] ?? 0);
      this.skippedSoFar[source.name] = n;
    }
    const record: ProgressRecord = {
      batchId,
      numInputRows: result.numInputRows,
      numSkipped,
      numOutputRows: result.frame.height,
      rowsDroppedByWatermark: result.rowsDroppedByWatermark,
      watermark: formatWatermark(result.watermarkMs),
      stateRows: result.stateRows,
      durationMs: { poll: pollMs, process: t1 - t0, sink: t2 - t1, total: pollMs + (t2 - t0) },
      timestamp: started.toISOString(),
      ...(latencyMs === undefined ? {} : { latencyMs }),
    };
    this.addToTotals(record);
    if (cp !== null && (final || (batchId + 1) % this.options.snapshotEvery === 0)) {
      await cp.snapshot(batchId, this.processor.snapshot(), {
        nextBatchId: this.nextBatchId,
        watermarkOfLastBatch: Number.isFinite(this.watermarkOfLastBatch) ? this.watermarkOfLastBatch : String(this.watermarkOfLastBatch),
      });
    }
    this.progress.add(record);
    for (const listener of this.batchListeners) {
      try { listener({ batchId, mode: this.options.mode, frame: result.frame }, record); } catch { /* a live view's bug must not stop the stream */ }
    }
  }
}

/** Polled chunks as the processor takes them: frames per input name. */
function byInput(got: { source: string; chunk: SourceChunk }[]): Record<string, pl.DataFrame[]> {
  const chunks: Record<string, pl.DataFrame[]> = {};
  for (const { source, chunk } of got) (chunks[source] ??= []).push(chunk.frame);
  return chunks;
}

/** Each row's latency from its arrival (the chunks' `arrivalMs`) to `doneMs`: p50, p99, max; undefined when no row carries one. */
export function rowLatencies(got: { chunk: SourceChunk }[], doneMs: number): ProgressRecord["latencyMs"] {
  const lat: number[] = [];
  for (const { chunk } of got) for (const t of chunk.arrivalMs ?? []) lat.push(Math.max(0, doneMs - t));
  if (lat.length === 0) return undefined;
  lat.sort((a, b) => a - b);
  const at = (q: number) => lat[Math.min(lat.length - 1, Math.ceil(q * lat.length) - 1)];
  return { rows: lat.length, p50: at(0.5), p99: at(0.99), max: lat[lat.length - 1] };
}

function isAbort(e: unknown): boolean {
  return (e instanceof Error && e.name === "AbortError") || isStreamlabError(e, "ABORTED");
}
