/**
 * Fault injection for the crash tests: `STREAMLAB_FAILPOINT=<point>@<batchId>` kills the process
 * (SIGKILL, as a power cut would) when the query reaches `<point>` in the first micro-batch from
 * `<batchId>` on that wrote output. Random kills rarely land in the narrow windows that matter
 * most; these land there every time.
 *
 *   after-sinks          every sink holds the batch, its commit is not yet in the checkpoint
 *   kafka-before-commit  the Kafka sink sent the batch inside its transaction, not yet committed
 */
export type Failpoint = "after-sinks" | "kafka-before-commit";

export function failpoint(point: Failpoint, batchId: number, wroteRows: boolean): void {
  const want = process.env.STREAMLAB_FAILPOINT;
  if (want === undefined || !wroteRows) return;
  const [name, from] = want.split("@");
  if (name === point && batchId >= Number(from ?? 0)) process.kill(process.pid, "SIGKILL");
}
