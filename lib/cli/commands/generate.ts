import type { Command } from "commander";
import { generateDataset } from "../../generate";
import { GENERATE_DEFAULTS, GENERATE_LIMITS } from "../../generate/options";
import type { GenerateProgress, GenerateSummary } from "../../generate/types";
import { numberFlag, withInterrupt } from "../flags";

interface CliOptions {
  rides: string;
  duration: string;
  seed: string;
  out: string;
  force?: boolean;
}

const fmt = (n: number) => n.toLocaleString("en-US");

function progressLine(p: GenerateProgress): string {
  return `generate: t=${p.time.toFixed(1)} s  partition ${p.partitions}/${p.partitionsTotal}  files ${fmt(p.files)}  rows ${fmt(p.rows.locations)} locations, ${fmt(p.rows.accelerations)} accelerations`;
}

export function formatSummary(s: GenerateSummary): string {
  return [
    `Generated ${s.out} (seed ${s.seed}, ${fmt(s.rides)} ride${s.rides === 1 ? "" : "s"}, ${s.duration} s)`,
    `  partitions:    ${fmt(s.partitions)}`,
    `  files:         ${fmt(s.files)}`,
    `  locations:     ${fmt(s.rows.locations)} rows`,
    `  accelerations: ${fmt(s.rows.accelerations)} rows`,
    `  bytes:         ${fmt(s.bytes)}`,
  ].join("\n");
}

export function register(program: Command): void {
  program
    .command("generate")
    .description("Write a synthetic Berkeley DeepDrive dataset (BDD layout: <out>/{locations,accelerations}/t=SSS.S/<uuid>.parquet), deterministic for a seed. The defaults reproduce the shipped sample data/bdd.")
    .option("--rides <n>", `number of rides, 1..${fmt(GENERATE_LIMITS.maxRides)} (each ~40 s long, ~17 accelerometer rows/s)`, String(GENERATE_DEFAULTS.rides))
    .option("--duration <seconds>", "length of the recording in seconds; partitions every 2.8-4.8 s from t=000.0", String(GENERATE_DEFAULTS.duration))
    .option("--seed <k>", "PRNG seed, integer 0..4294967295: the same seed writes the same data", String(GENERATE_DEFAULTS.seed))
    .option("--out <dir>", "output folder; must be empty or missing unless --force", GENERATE_DEFAULTS.out)
    .option("--force", "write into a non-empty folder, replacing its locations/ and accelerations/ (nothing else is touched)")
    .addHelpText("after", [
      "",
      "Examples:",
      "  npx streamlab generate --out results/tiny --rides 3 --duration 60",
      "  npx streamlab generate --force                     # rewrite the shipped sample data/bdd",
      "  npx streamlab generate --rides 16000 --duration 3600 --out results/bench   # ~10 million accelerometer rows",
      "",
      "Prints a progress line on stderr (on a terminal) and a summary: rides, partitions, files, rows per table, bytes.",
    ].join("\n"))
    .action(async (opts: CliOptions) => {
      const tty = process.stderr.isTTY === true;
      const summary = await withInterrupt((signal) => generateDataset({
        rides: numberFlag("--rides", opts.rides)!,
        duration: numberFlag("--duration", opts.duration)!,
        seed: numberFlag("--seed", opts.seed)!,
        out: opts.out,
        force: opts.force === true,
        signal,
        onProgress: tty ? (p) => process.stderr.write(`\r\x1b[2K${progressLine(p)}`) : undefined,
      }));
      if (tty) process.stderr.write("\r\x1b[2K");
      console.log(formatSummary(summary));
    });
}
