/** Tiny `--name value` parser for the bench's child entry points. */
export function args(argv = process.argv.slice(2)): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--")) continue;
    const next = argv[i + 1];
    if (next === undefined || next.startsWith("--")) out[a.slice(2)] = "true";
    else out[a.slice(2)] = argv[++i];
  }
  return out;
}

/** Prints the one result line the harness parses (bench/lib/proc.ts), with the peak RSS. */
export function emit(result: Record<string, unknown>): void {
  const peakRssMb = Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;
  process.stdout.write(`BENCH_RESULT ${JSON.stringify({ peakRssMb, ...result })}\n`);
}

/** Runs main, printing `{error}` as the result on failure (the harness reports "not measured"). */
export function main(fn: () => Promise<Record<string, unknown>>): void {
  fn().then(
    (r) => { emit(r); process.exit(0); },
    (e) => {
      const err = e as { code?: string; message?: string };
      emit({ error: `${err?.code ? err.code + ": " : ""}${err?.message ?? String(e)}` });
      process.exit(0);
    },
  );
}
