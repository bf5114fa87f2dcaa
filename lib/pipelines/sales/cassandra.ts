import { Client, types } from "cassandra-driver";
import { OptionError, StreamlabError } from "../../errors";
import type { SalesStore } from "./store";
import type { StoredSale } from "./types";

/** Options of {@link CassandraSalesStore.open}. */
export interface CassandraStoreOptions {
  /** `host:port` of Cassandra's native protocol; default `127.0.0.1:9042` (env `CASSANDRA_CONTACT_POINT`). */
  contactPoint?: string;
  /** Data centre of the contact point; default `datacenter1` (a single node's). */
  localDataCenter?: string;
  /** Keyspace; default `store` (the lecture's). */
  keyspace?: string;
}

export const CASSANDRA_STORE_DEFAULTS = { contactPoint: "127.0.0.1:9042", localDataCenter: "datacenter1", keyspace: "store" } as const;

/** Cassandra could not be reached or refused a statement. */
export class CassandraError extends StreamlabError {
  constructor(message: string, cause?: unknown, contactPoint?: string) {
    super("SINK_IO", message, { cause, context: { contactPoint } });
  }
}

/**
 * The lecture's sales table in Cassandra (keyspace `store`, table `sales`), through prepared,
 * parameterised statements. A sale is keyed by where Kafka stored it; `INSERT … IF NOT EXISTS`
 * tells a new sale from a re-delivered one, so the count of new sales is exact.
 *
 * @example
 * ```ts
 * const cassandra = await startLocalCassandra();           // or a Cassandra you run
 * const store = await CassandraSalesStore.open();
 * await saveSales(store);
 * await store.close(); await cassandra.stop();
 * ```
 */
export class CassandraSalesStore implements SalesStore {
  private constructor(private readonly client: Client, readonly keyspace: string) {}

  static async open(options: CassandraStoreOptions = {}): Promise<CassandraSalesStore> {
    const contactPoint = options.contactPoint ?? process.env.CASSANDRA_CONTACT_POINT ?? CASSANDRA_STORE_DEFAULTS.contactPoint;
    if (!/^[^\s:]+:\d+$/.test(contactPoint)) throw new OptionError("contactPoint", contactPoint, "expected host:port, e.g. 127.0.0.1:9042");
    const keyspace = options.keyspace ?? CASSANDRA_STORE_DEFAULTS.keyspace;
    // Identifiers cannot be bound as parameters: this check is what keeps the DDL below safe.
    if (!/^[a-z][a-z0-9_]{0,47}$/.test(keyspace)) throw new OptionError("keyspace", keyspace, "expected a lower-case name of letters, digits and _ (up to 48)");
    const client = new Client({ contactPoints: [contactPoint], localDataCenter: options.localDataCenter ?? CASSANDRA_STORE_DEFAULTS.localDataCenter });
    try {
      await client.connect();
      await client.execute(`CREATE KEYSPACE IF NOT EXISTS ${keyspace} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`);
      await client.execute(`CREATE TABLE IF NOT EXISTS ${keyspace}.sales (
        topic text, kafka_partition int, kafka_offset bigint, item text, amount double, time bigint,
        PRIMARY KEY ((topic, kafka_partition), kafka_offset))`);
    } catch (e) {
      await client.shutdown().catch(() => {});
      throw new CassandraError(`Cassandra at ${contactPoint}: ${(e as Error).message}. Start one (startLocalCassandra(), or your own) and check the contact point.`, e, contactPoint);
    }
    return new CassandraSalesStore(client, keyspace);
  }

  async save(sales: StoredSale[]): Promise<number> {
    let added = 0;
    try {
      for (const s of sales) {
        const r = await this.client.execute(
          `INSERT INTO ${this.keyspace}.sales (topic, kafka_partition, kafka_offset, item, amount, time) VALUES (?, ?, ?, ?, ?, ?) IF NOT EXISTS`,
          [s.topic, s.partition, types.Long.fromNumber(s.offset), s.item, s.amount, types.Long.fromNumber(s.time)],
          { prepare: true },
        );
        if (r.wasApplied()) added++;
      }
    } catch (e) {
      throw new CassandraError(`cannot save ${sales.length} sales in ${this.keyspace}.sales: ${(e as Error).message}`, e);
    }
    return added;
  }

  async count(): Promise<number> {
    const r = await this.client.execute(`SELECT COUNT(*) AS n FROM ${this.keyspace}.sales`);
    return Number(r.first().get("n"));
  }

  /** Every stored sale, in Kafka order (partition, offset). */
  async sales(): Promise<StoredSale[]> {
    const r = await this.client.execute(`SELECT topic, kafka_partition, kafka_offset, item, amount, time FROM ${this.keyspace}.sales`);
    return r.rows
      .map((row) => ({ topic: row.get("topic"), partition: row.get("kafka_partition"), offset: Number(row.get("kafka_offset")), item: row.get("item"), amount: row.get("amount"), time: Number(row.get("time")) }))
      .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition || a.offset - b.offset);
  }

  close(): Promise<void> {
    return this.client.shutdown();
  }
}
