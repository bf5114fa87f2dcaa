import { OptionError } from "./errors";

const UNIT_MS: Record<string, number> = {
  ms: 1, millisecond: 1, milliseconds: 1,
  s: 1000, sec: 1000, secs: 1000, second: 1000, seconds: 1000,
  m: 60_000, min: 60_000, mins: 60_000, minute: 60_000, minutes: 60_000,
  h: 3_600_000, hour: 3_600_000, hours: 3_600_000,
};

/**
 * Parses a duration such as `"30 seconds"`, `"15s"`, `"1 minute"`, `"500 ms"` (or a number of
 * milliseconds) into milliseconds.
 *
 * @param value the duration; a bare number is milliseconds
 * @param option the option's name, quoted in the error so the user knows what to fix
 * @throws OptionError (code `BAD_OPTION`) for anything else, or a negative duration
 * @example
 * parseDuration("30 seconds", "watermark") // 30000
 * parseDuration("1.5s", "within")          // 1500
 */
export function parseDuration(value: string | number, option: string): number {
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value < 0) throw new OptionError(option, value, "expected a duration of 0 or more milliseconds");
    return value;
  }
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]+)\s*$/.exec(value);
  const unit = match ? UNIT_MS[match[2].toLowerCase()] : undefined;
  if (match === null || unit === undefined) {
    throw new OptionError(option, value, 'expected a duration like "30 seconds", "15s", "1 minute" or "500 ms"');
  }
  return Number(match[1]) * unit;
}
