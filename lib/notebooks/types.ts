import type { ReplaySpeed } from "../replay/options";

/**
 * The parameters of the producer and consumer notebooks, read from `STREAMLAB_*` environment
 * variables so `npm run notebooks` (headless) can set them; defaults suit an interactive run.
 */
export interface NotebookParams {
  /** Absolute path of the BDD-layout dataset (env `STREAMLAB_DATA`, default `<project>/data/bdd`). */
  data: string;
  /** `host:port[,…]` (env `STREAMLAB_BOOTSTRAP`); undefined = kafkaConfig's default (`KAFKA_BOOTSTRAP_SERVERS`, else localhost:9092). */
  bootstrap: string | undefined;
  /** Explicit topic prefix (env `STREAMLAB_TOPIC_PREFIX`); undefined = `LastnameFirstname` from the notebook. */
  topicPrefix: string | undefined;
  /** Replay speed (env `STREAMLAB_SPEED`, default 1 = real time; `max` = no waiting). */
  speed: ReplaySpeed;
  /** Replay: start again when the data ends (env `STREAMLAB_LOOP`, default false). */
  loop: boolean;
  /** Stop the replay after this many seconds of wall time (env `STREAMLAB_TIME_LIMIT`, e.g. `2 minutes`; default none). */
  timeLimit: number | undefined;
  /** Messages the consumer notebook prints and takes as a sample (env `STREAMLAB_SAMPLE`, default 5). */
  sample: number;
  /** True when run by `scripts/jupyter.sh run|run-all` (env `STREAMLAB_HEADLESS=1`). */
  headless: boolean;
}

/** Anything with `text(s)`: tslab's `newDisplay()` (overwrites one output in place), or a fake in tests. */
export interface TextDisplay {
  text(s: string): void;
}
