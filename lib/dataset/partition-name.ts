/** Partition folder names: `t=SSS.S` (seconds since the start of the recording). */

/** The accepted form, used in messages. */
export const PARTITION_FORM = "t=<seconds>, e.g. t=000.0 or t=121.4";

const PATTERN = /^t=(\d+(?:\.\d+)?)$/;

/**
 * The time of a partition folder name, or undefined when the name is not `t=<number>`.
 * @example
 * parsePartitionName("t=004.5"); // 4.5
 * parsePartitionName("t=abc");   // undefined
 */
export function parsePartitionName(name: string): number | undefined {
  const m = PATTERN.exec(name);
  return m ? Number(m[1]) : undefined;
}

/**
 * The folder name for a partition time, zero-padded as the real data.
 * @example
 * formatPartitionName(4.5); // "t=004.5"
 */
export function formatPartitionName(time: number): string {
  return `t=${time.toFixed(1).padStart(5, "0")}`;
}
