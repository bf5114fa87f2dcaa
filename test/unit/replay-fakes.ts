/** Test helpers for the replay: an in-memory dataset reader and a sink that can fail. */
import pl from "nodejs-polars";
import { SinkError } from "../../lib/errors";
import { formatPartitionName } from "../../lib/dataset/partition-name";
import type { DatasetScan, Partition, PartitionData, Skipped, Table } from "../../lib/dataset/types";
import type { DatasetReader } from "../../lib/replay/options";
import type { ReleaseBatch, ReplaySink } from "../../lib/replay/types";

export interface FakeFile {
  name: string;
  offsets: number[];
}
export interface FakePartition {
  time: number;
  files: FakeFile[];
  skipped?: Skipped[];
}
export type FakeDataset = Partial<Record<Table, FakePartition[]>>;

/** A frame shaped like the source: uuid, a 1970-based timestamp, offset, a value column. */
export function fakeFrame(uuid: string, offsets: number[]): pl.DataFrame {
  return pl.DataFrame({
    uuid: offsets.map(() => uuid),
    timestamp: pl.Series("timestamp", offsets.map((o) => new Date(Math.round(o * 1000))), pl.Datetime("us")),
    offset: offsets,
    value: offsets.map((o) => o * 2),
  });
}

/** A DatasetReader over in-memory partitions; counts reads per partition. */
export function fakeReader(dataset: FakeDataset, scanSkipped: Skipped[] = []): DatasetReader & { reads: string[] } {
  const partitions = { locations: [] as Partition[], accelerations: [] as Partition[] };
  const byDir = new Map<string, FakePartition>();
  for (const table of ["locations", "accelerations"] as Table[]) {
    for (const p of dataset[table] ?? []) {
      const name = formatPartitionName(p.time);
      const dir = `/fake/${table}/${name}`;
      byDir.set(dir, p);
      partitions[table].push({ table, name, time: p.time, dir, files: p.files.map((f) => `${dir}/${f.name}`) });
    }
  }
  const reads: string[] = [];
  return {
    reads,
    async discover(root: string): Promise<DatasetScan> {
      return { root, partitions, skipped: scanSkipped };
    },
    async read(partition: Partition): Promise<PartitionData> {
      reads.push(partition.dir);
      const p = byDir.get(partition.dir)!;
      const files = p.files.map((f) => ({ path: `${partition.dir}/${f.name}`, name: f.name, frame: fakeFrame(f.name.replace(".parquet", ""), f.offsets) }));
      return { partition, files, skipped: p.skipped ?? [], rows: files.reduce((n, f) => n + f.frame.height, 0) };
    },
  };
}

/** A sink that fails on its n-th write (1-based) with a SinkError. */
export class FailingSink implements ReplaySink {
  readonly name = "failing";
  writes = 0;
  closed = 0;
  constructor(private readonly failOn: number) {}
  async open(): Promise<void> {}
  async write(_batch: ReleaseBatch): Promise<void> {
    if (++this.writes === this.failOn) throw new SinkError("/fake/out", "disk full");
  }
  async close(): Promise<void> {
    this.closed++;
  }
  stats(): Record<string, number> {
    return { writes: this.writes };
  }
}
