/**
 * The sizes of a bench run. `full` meets the sizes (≥ 10 M accelerometer rows, 10 and 60
 * simulated minutes, 10 → 100 → 1,000 rides) within ~30 min on 2 cores; `quick` is a smoke run.
 * A generated ride lasts 36–42 s and emits ~665 accelerometer rows and ~13 GPS fixes, so rows/s
 * due ≈ rides × 665 / duration × speed.
 */
export interface GenSpec { rides: number; duration: number }

export interface Profile {
  seed: number;
  start: string;
  replay: { speed1: GenSpec; speed10: GenSpec };
  publish: { base: GenSpec; copies: number; loops: number };
  /** Engine and memory: the base looped to ~`minutesSmall` and ~`minutesLarge` simulated minutes. */
  engine: {
    base: GenSpec;
    minutesSmall: number;
    minutesLarge: number;
    /** Spark's micro-batches (maxFilesPerTrigger = partitions / this) on the small and large streams. */
    sparkBatchesSmall: number;
    sparkBatchesLarge: number;
    /** Stop each Spark query on the large stream after this long (0: run to the end); its rate covers the completed micro-batches. */
    sparkCapSeconds: number;
    /** Run Spark on the small stream too (results check + memory baseline); else the check uses the large stream. */
    sparkSmall: boolean;
  };
  latency: { data: "speed1"; drainSeconds: number };
  scaling: { base: GenSpec; copies: number[]; sparkBatches: number };
  /** The course's own layout at scale: generated, replayed to a file stream (one file per ride per partition, not compacted). */
  course: { data: GenSpec; sparkFilesPerTrigger: number };
  kafka: { partitions: number; acks: string; batchSize: number; lingerMs: number };
  timeouts: { childMs: number; sparkMs: number };
}

export const PROFILES: Record<"quick" | "full", Profile> = {
  quick: {
    seed: 7,
    start: "2020-01-01T00:00:00Z",
    replay: { speed1: { rides: 30, duration: 4 }, speed10: { rides: 8, duration: 30 } },
    publish: { base: { rides: 20, duration: 60 }, copies: 1, loops: 1 },
    engine: { base: { rides: 20, duration: 60 }, minutesSmall: 1, minutesLarge: 3, sparkBatchesSmall: 2, sparkBatchesLarge: 3, sparkCapSeconds: 0, sparkSmall: false },
    latency: { data: "speed1", drainSeconds: 5 },
    scaling: { base: { rides: 10, duration: 60 }, copies: [1, 2, 4], sparkBatches: 2 },
    course: { data: { rides: 60, duration: 60 }, sparkFilesPerTrigger: 500 },
    kafka: { partitions: 3, acks: "all", batchSize: 1_048_576, lingerMs: 5 },
    timeouts: { childMs: 300_000, sparkMs: 600_000 },
  },
  full: {
    seed: 7,
    start: "2020-01-01T00:00:00Z",
    // ~2,000 rows/s due: 120 rides × 665 rows / 40 s at speed 1; 60 rides × 665 / 200 s × 10.
    replay: { speed1: { rides: 120, duration: 40 }, speed10: { rides: 60, duration: 200 } },
    publish: { base: { rides: 320, duration: 60 }, copies: 1, loops: 1 },
    // 320 rides per ~64 s loop ≈ 209 k accelerometer rows per loop: 60 min (56 loops) ≈ 11.7 M rows.
    // Spark needs ~25 min for the whole 60-min stream on this machine: it runs it for at most
    // sparkCapSeconds per query (rate over its completed micro-batches) and the 10-min stream in full.
    engine: { base: { rides: 320, duration: 60 }, minutesSmall: 10, minutesLarge: 60, sparkBatchesSmall: 16, sparkBatchesLarge: 48, sparkCapSeconds: 240, sparkSmall: true },
    latency: { data: "speed1", drainSeconds: 10 },
    scaling: { base: { rides: 10, duration: 60 }, copies: [1, 10, 100], sparkBatches: 16 },
    // The measurement: 3000 rides × 600 s = 1.9 M rows in 63,047 files; Spark gets 2,000 files per trigger.
    course: { data: { rides: 3000, duration: 600 }, sparkFilesPerTrigger: 2000 },
    kafka: { partitions: 3, acks: "all", batchSize: 1_048_576, lingerMs: 5 },
    timeouts: { childMs: 1_800_000, sparkMs: 1_500_000 },
  },
};
