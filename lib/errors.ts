/**
 * The one error hierarchy of streamlab.
 *
 * Every error a user can meet carries a stable `code` (branch on it, never on the message), a
 * `retriable` flag (retry logic asks it), an optional `cause`, and the context that locates the
 * problem (a file path, an option name, a broker, a topic). Messages say what to do next.
 */

export const ERROR_CODES = [
  // options and configuration
  "BAD_OPTION",
  // dataset input
  "BAD_PARQUET",
  // a JSON or CSV input file that cannot be parsed
  "BAD_FILE",
  "BAD_PARTITION",
  "STRAY_FILE",
  "MISSING_COLUMN",
  "BAD_COLUMN_TYPE",
  "EMPTY_FILE",
  // rows of a stream file without their event time (dropped, the file's other rows read)
  "MISSING_EVENT_TIME",
  "NO_DATA",
  // sinks and files
  "SINK_IO",
  // kafka
  "BROKER_UNREACHABLE",
  "INVALID_TOPIC",
  "TOPIC_MISSING",
  "KAFKA",
  // the streaming engine
  "QUERY",
  "CHECKPOINT",
  // a query plan part with no Apache Spark equivalent (query.toSpark(), engine "spark")
  "NO_SPARK_EQUIVALENT",
  // HTTP API of the pipelines
  "BAD_REQUEST",
  // external tools the project drives (jupyter, java, chromium)
  "TOOL_MISSING",
  // a run stopped on request (SIGINT, notebook interrupt, AbortSignal)
  "ABORTED",
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** Where an error happened; every field optional, all of it serialisable. */
export interface ErrorContext {
  path?: string;
  option?: string;
  value?: unknown;
  broker?: string;
  topic?: string;
  partition?: number;
  column?: string;
  [key: string]: unknown;
}

export interface StreamlabErrorOptions {
  retriable?: boolean;
  cause?: unknown;
  context?: ErrorContext;
}

/** Base class: `code`, `retriable`, `context`, `cause`; serialises cleanly to JSON. */
export class StreamlabError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly context: ErrorContext;

  constructor(code: ErrorCode, message: string, options: StreamlabErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retriable = options.retriable ?? false;
    this.context = options.context ?? {};
  }

  toJSON(): Record<string, unknown> {
    const cause = this.cause instanceof Error ? this.cause.message : this.cause;
    return { name: this.name, code: this.code, message: this.message, retriable: this.retriable, context: this.context, ...(cause === undefined ? {} : { cause }) };
  }
}

/**
 * A bad option value: names the option, the value, and what is accepted. A command-line flag
 * (`--window`) reads as typed: `Invalid option --window "fifteen": …`; a library option as
 * `Invalid option window="fifteen": …`.
 */
export class OptionError extends StreamlabError {
  readonly option: string;
  readonly value: unknown;
  /** What is accepted, e.g. `expected a duration like "30 seconds"`. */
  readonly expected: string;

  constructor(option: string, value: unknown, expected: string, cause?: unknown) {
    const shown = option.startsWith("-") ? `${option} ${JSON.stringify(value)}` : `${option}=${JSON.stringify(value)}`;
    super("BAD_OPTION", `Invalid option ${shown}: ${expected}.`, { context: { option, value }, cause });
    this.option = option;
    this.value = value;
    this.expected = expected;
  }

  /**
   * The same error naming the option differently, e.g. the CLI flag the value came from.
   * @example
   * new OptionError("window", "x", "a duration").renamed("--window").message; // 'Invalid option --window "x": a duration.'
   */
  renamed(option: string): OptionError {
    return new OptionError(option, this.value, this.expected, this.cause);
  }
}

/** A problem with one input file or folder of a dataset; the run skips it and counts it. */
export class DataError extends StreamlabError {
  readonly path: string;
  constructor(code: ErrorCode, path: string, message: string, options: StreamlabErrorOptions = {}) {
    super(code, `${path}: ${message}`, { ...options, context: { ...options.context, path } });
    this.path = path;
  }
}

/** Writing output failed (disk full, permissions, a rename across devices). */
export class SinkError extends StreamlabError {
  constructor(path: string, message: string, cause?: unknown) {
    super("SINK_IO", `${path}: ${message}`, { context: { path }, cause, retriable: false });
  }
}

/** Anything Kafka: unreachable broker, bad topic name, missing topic, a failed request. */
export class KafkaError extends StreamlabError {
  constructor(code: Extract<ErrorCode, "BROKER_UNREACHABLE" | "INVALID_TOPIC" | "TOPIC_MISSING" | "KAFKA">, message: string, options: StreamlabErrorOptions = {}) {
    super(code, message, options);
  }
}

/** A streaming query could not be built or failed while running. */
export class QueryError extends StreamlabError {
  constructor(message: string, options: StreamlabErrorOptions = {}) {
    super("QUERY", message, options);
  }
}

/** A query's checkpoint folder cannot be used: written by another query, unreadable or corrupt. */
export class CheckpointError extends StreamlabError {
  constructor(dir: string, message: string, options: Omit<StreamlabErrorOptions, "context"> & { context?: ErrorContext } = {}) {
    super("CHECKPOINT", `checkpoint ${dir}: ${message}`, { ...options, context: { path: dir, ...options.context } });
  }
}

/** A part of a query plan that the Spark translation cannot express; `operator` names it. */
export class SparkTranslationError extends StreamlabError {
  readonly operator: string;
  constructor(operator: string, message: string) {
    super("NO_SPARK_EQUIVALENT", message, { context: { operator } });
    this.operator = operator;
  }
}

/** A required external program (java, jupyter, chromium) is missing or failed to start. */
export class ToolError extends StreamlabError {
  constructor(tool: string, message: string, cause?: unknown) {
    super("TOOL_MISSING", `${tool}: ${message}`, { context: { tool }, cause });
  }
}

/** A run was stopped on request; callers treat it as a clean end, not a failure. */
export class AbortedError extends StreamlabError {
  constructor(what: string) {
    super("ABORTED", `${what} stopped on request.`);
  }
}

export function isStreamlabError(e: unknown, code?: ErrorCode): e is StreamlabError {
  return e instanceof StreamlabError && (code === undefined || e.code === code);
}
