import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { ToolError } from "../../errors";
import { projectRoot } from "../../notebooks";

/** The Cassandra release the local node runs (from Maven Central, on Java 17, like the Kafka broker). */
export const CASSANDRA_VERSION = "5.0.6";

/** Options of {@link startLocalCassandra}. */
export interface LocalCassandraOptions {
  /** Working folder (jars, config, data, log); default `<project>/.cache/cassandra` (git-ignored). */
  dir?: string;
  /** Native protocol port; default 9042. */
  port?: number;
  /** Longest wait for the node to accept CQL clients, ms; default 180000. */
  timeoutMs?: number;
}

export interface LocalCassandra {
  readonly contactPoint: string;
  /** The node's log file. */
  readonly log: string;
  /** Stops the node this call started (a node that was already running is left alone). */
  stop(): Promise<void>;
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: "127.0.0.1", port });
    const done = (ok: boolean) => { s.destroy(); resolve(ok); };
    s.setTimeout(1000, () => done(false));
    s.once("connect", () => done(true));
    s.once("error", () => done(false));
  });
}

const POM = `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>streamlab</groupId><artifactId>local-cassandra</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>org.apache.cassandra</groupId><artifactId>cassandra-all</artifactId><version>${CASSANDRA_VERSION}</version></dependency>
  </dependencies>
</project>
`;

// The minimal single-node configuration: loopback only, one token, small thread pools.
const yaml = (dir: string, port: number) => `cluster_name: streamlab
num_tokens: 1
partitioner: org.apache.cassandra.dht.Murmur3Partitioner
commitlog_sync: periodic
commitlog_sync_period: 10000ms
seed_provider:
  - class_name: org.apache.cassandra.locator.SimpleSeedProvider
    parameters:
      - seeds: "127.0.0.1:7100"
listen_address: 127.0.0.1
rpc_address: 127.0.0.1
storage_port: 7100
native_transport_port: ${port}
start_native_transport: true
endpoint_snitch: SimpleSnitch
data_file_directories: [${dir}/data/data]
commitlog_directory: ${dir}/data/commitlog
saved_caches_directory: ${dir}/data/saved_caches
hints_directory: ${dir}/data/hints
cdc_raw_directory: ${dir}/data/cdc_raw
disk_access_mode: mmap_index_only
concurrent_reads: 4
concurrent_writes: 4
`;

const LOGBACK = `<configuration><appender name="F" class="ch.qos.logback.core.ConsoleAppender"><encoder><pattern>%d %-5level [%thread] %logger{20} - %msg%n</pattern></encoder></appender><root level="INFO"><appender-ref ref="F"/></root></configuration>
`;

// What Cassandra's conf/jvm17-server.options opens up for Java 17.
const JAVA17 = [
  ...["java.base/jdk.internal.misc", "java.base/jdk.internal.ref", "java.base/sun.nio.ch", "java.management.rmi/com.sun.jmx.remote.internal.rmi", "java.rmi/sun.rmi.registry", "java.rmi/sun.rmi.server", "java.sql/java.sql"].flatMap((p) => ["--add-exports", `${p}=ALL-UNNAMED`]),
  ...["java.base/java.lang.module", "java.base/jdk.internal.loader", "java.base/jdk.internal.ref", "java.base/jdk.internal.reflect", "java.base/jdk.internal.math", "java.base/jdk.internal.module", "java.base/jdk.internal.util.jar", "jdk.management/com.sun.management.internal", "java.base/sun.nio.ch", "java.base/java.io", "java.base/java.nio", "java.base/java.util.concurrent", "java.base/java.util", "java.base/java.util.concurrent.atomic", "java.base/java.lang", "java.base/java.math", "java.base/java.lang.reflect", "java.base/java.net"].flatMap((p) => ["--add-opens", `${p}=ALL-UNNAMED`]),
];

/**
 * Starts a single-node Apache Cassandra for the lecture's database consumer, from the
 * `cassandra-all` jars on Maven Central (resolved once with `mvn`), on the local Java 17: no
 * download from elsewhere. Reuses a node already listening on the port. Takes about half a minute
 * and ~1 GB of memory.
 *
 * @example
 * ```ts
 * const node = await startLocalCassandra();
 * const store = await CassandraSalesStore.open({ contactPoint: node.contactPoint });
 * ```
 */
export async function startLocalCassandra(options: LocalCassandraOptions = {}): Promise<LocalCassandra> {
  const dir = path.resolve(options.dir ?? path.join(projectRoot(), ".cache", "cassandra"));
  const port = options.port ?? 9042;
  const contactPoint = `127.0.0.1:${port}`;
  const log = path.join(dir, "cassandra.log");
  if (await listening(port)) return { contactPoint, log, stop: async () => {} };

  fs.mkdirSync(path.join(dir, "conf"), { recursive: true });
  const lib = path.join(dir, "lib");
  if (!fs.existsSync(path.join(lib, `cassandra-all-${CASSANDRA_VERSION}.jar`))) {
    fs.writeFileSync(path.join(dir, "pom.xml"), POM);
    const mvn = spawnSync("mvn", ["-q", "-B", "-f", path.join(dir, "pom.xml"), "dependency:copy-dependencies", `-DoutputDirectory=${lib}`], { encoding: "utf8" });
    if (mvn.error || mvn.status !== 0) throw new ToolError("mvn", `could not resolve cassandra-all ${CASSANDRA_VERSION} from Maven Central: ${mvn.error?.message ?? mvn.stdout + mvn.stderr}. Install Maven and check the network.`, mvn.error);
  }
  fs.writeFileSync(path.join(dir, "conf", "cassandra.yaml"), yaml(dir, port));
  fs.writeFileSync(path.join(dir, "conf", "logback.xml"), LOGBACK);
  const out = fs.openSync(log, "a");
  let child: ChildProcess;
  try {
    child = spawn("java", [
      "-Xms256m", "-Xmx768m", "-XX:+UseG1GC", ...JAVA17, "-Djdk.attach.allowAttachSelf=true",
      `-Dcassandra.config=file://${dir}/conf/cassandra.yaml`, `-Dlogback.configurationFile=${dir}/conf/logback.xml`,
      `-Dcassandra.storagedir=${dir}/data`, "-Dcassandra-foreground=yes", "-Dcassandra.skip_wait_for_gossip_to_settle=0", "-Dcassandra.ring_delay_ms=0",
      "-cp", `${lib}/*`, "org.apache.cassandra.service.CassandraDaemon",
    ], { stdio: ["ignore", out, out], detached: false });
  } finally {
    fs.closeSync(out);
  }
  let exited: number | null = null;
  child.on("exit", (code) => (exited = code ?? -1));
  child.on("error", () => (exited = -1));
  const deadline = Date.now() + (options.timeoutMs ?? 180_000);
  while (!(await listening(port))) {
    if (exited !== null) throw new ToolError("java", `Cassandra exited (code ${exited}) before accepting clients; see ${log}.`);
    if (Date.now() > deadline) {
      child.kill("SIGTERM");
      throw new ToolError("java", `Cassandra did not accept clients on ${contactPoint} in time; see ${log}.`);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  return {
    contactPoint,
    log,
    stop: () =>
      new Promise<void>((resolve) => {
        if (exited !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}
