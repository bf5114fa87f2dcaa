#!/usr/bin/env bash
# The local single-node Kafka (KRaft, no ZooKeeper, no Docker) for streamlab.
#
#   bash scripts/kafka.sh start|stop|status|ensure|install|console-consumer ARGS…|help
#
# Jars come from Maven Central (kafka/pom.xml) into .kafka/libs; data in .kafka/data; logs in
# .kafka/logs. Environment: KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (KAFKA_PORT+1),
# KAFKA_HOST (localhost), KAFKA_HEAP_OPTS (-Xms256m -Xmx512m), KAFKA_START_TIMEOUT (seconds, 120),
# KAFKA_HOME_DIR (.kafka: data, logs, pid), KAFKA_LIBS_DIR (.kafka/libs).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HOME_DIR="${KAFKA_HOME_DIR:-$ROOT/.kafka}"
LIBS="${KAFKA_LIBS_DIR:-$ROOT/.kafka/libs}"
DATA="$HOME_DIR/data"
LOGS="$HOME_DIR/logs"
PIDFILE="$HOME_DIR/kafka.pid"
CONF="$HOME_DIR/server.properties"
HOST="${KAFKA_HOST:-localhost}"
PORT="${KAFKA_PORT:-9092}"
CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-$((PORT + 1))}"
HEAP="${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
START_TIMEOUT="${KAFKA_START_TIMEOUT:-120}"
CLASSPATH_GLOB="$LIBS/*"

say() { echo "kafka: $*"; }
die() { echo "kafka: error: $*" >&2; exit 1; }

# True when something accepts TCP connections on host:port.
port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

pid_alive() {
  [[ -f "$PIDFILE" ]] || return 1
  local pid; pid="$(cat "$PIDFILE" 2>/dev/null || true)"
  # A stale PID file may name a recycled pid: it must still be our broker's JVM.
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q "kafka.Kafka"
}

need_java() {
  command -v java >/dev/null || die "java not found. Install a Java 17+ runtime (apt-get install -y openjdk-17-jre-headless) and retry."
  local v; v="$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1)"
  [[ -n "$v" && "$v" -ge 17 ]] || die "Java 17 or newer is needed (found: $(java -version 2>&1 | head -1))."
}

install() {
  if compgen -G "$LIBS/kafka_2.13-*.jar" >/dev/null && compgen -G "$LIBS/kafka-tools-*.jar" >/dev/null; then
    return 0
  fi
  command -v mvn >/dev/null || die "the Kafka jars are not in $LIBS and mvn is missing. Install Maven (apt-get install -y maven) and retry."
  say "fetching the Apache Kafka jars from Maven Central into $LIBS (once, about a minute)…"
  mkdir -p "$LIBS"
  mvn -q -B -f "$ROOT/kafka/pom.xml" dependency:copy-dependencies -DoutputDirectory="$LIBS" \
    || die "Maven could not fetch the jars (network? proxy?). Retry, or see 'mvn -f kafka/pom.xml dependency:copy-dependencies'."
}

write_config() {
  mkdir -p "$DATA" "$LOGS"
  sed -e "s#@HOST@#$HOST#g" -e "s#@PORT@#$PORT#g" -e "s#@CONTROLLER_PORT@#$CONTROLLER_PORT#g" \
      -e "s#@DATA_DIR@#$DATA#g" "$ROOT/kafka/server.properties" > "$CONF"
}

format_storage() {
  [[ -f "$DATA/meta.properties" ]] && return 0
  local id
  id="$(java -cp "$CLASSPATH_GLOB" -Dlog4j.configuration="file:$ROOT/kafka/tools-log4j.properties" kafka.tools.StorageTool random-uuid)"
  say "formatting storage in $DATA (cluster id $id)"
  java -cp "$CLASSPATH_GLOB" -Dlog4j.configuration="file:$ROOT/kafka/tools-log4j.properties" \
    kafka.tools.StorageTool format -t "$id" -c "$CONF" --ignore-formatted >/dev/null
}

start() {
  if pid_alive; then
    say "already running (pid $(cat "$PIDFILE")) on $HOST:$PORT"
    return 0
  fi
  if port_open "$HOST" "$PORT"; then
    die "something else already listens on $HOST:$PORT (not this project's broker). Stop it, or use another port: KAFKA_PORT=9094 npm run kafka:start"
  fi
  need_java
  install
  write_config
  format_storage
  local out="$LOGS/stdout.log"
  : > "$out"
  # setsid: the broker must outlive the shell (and the job group) that started it. setsid forks
  # when its caller leads a process group (a job-control shell), so $! may not be the JVM: the
  # process records its own pid just before it becomes java.
  rm -f "$PIDFILE"
  # shellcheck disable=SC2086,SC2016
  setsid bash -c 'echo $$ > "$1"; shift; exec "$@"' _ "$PIDFILE" \
    java $HEAP -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    -Dkafka.logs.dir="$LOGS" -Dlog4j.configuration="file:$ROOT/kafka/log4j.properties" \
    -cp "$CLASSPATH_GLOB" kafka.Kafka "$CONF" >"$out" 2>&1 < /dev/null &
  local tries=0
  while [[ ! -s "$PIDFILE" ]] && (( tries < 100 )); do sleep 0.05; tries=$((tries + 1)); done
  say "starting (pid $(cat "$PIDFILE" 2>/dev/null || echo '?')) on $HOST:$PORT, logs in $LOGS"
  local waited=0
  while (( waited < START_TIMEOUT )); do
    if ! pid_alive; then
      echo "kafka: error: the broker exited during start-up. Last log lines:" >&2
      tail -n 30 "$LOGS/server.log" "$out" 2>/dev/null >&2 || true
      rm -f "$PIDFILE"
      exit 1
    fi
    if port_open "$HOST" "$PORT" && grep -q "Kafka Server started" "$LOGS/server.log" 2>/dev/null; then
      say "ready on $HOST:$PORT (took ${waited}s)"
      return 0
    fi
    sleep 1; waited=$((waited + 1))
  done
  echo "kafka: error: not ready after ${START_TIMEOUT}s (raise KAFKA_START_TIMEOUT on a slow machine). Last log lines:" >&2
  tail -n 30 "$LOGS/server.log" "$out" 2>/dev/null >&2 || true
  stop >&2 || true
  exit 1
}

stop() {
  if ! pid_alive; then
    rm -f "$PIDFILE"
    say "not running"
    return 0
  fi
  local pid; pid="$(cat "$PIDFILE")"
  say "stopping (pid $pid)…"
  kill -TERM "$pid" 2>/dev/null || true
  local waited=0
  while kill -0 "$pid" 2>/dev/null; do
    if (( waited >= 60 )); then
      say "still running after 60s, killing it"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 1
      break
    fi
    sleep 1; waited=$((waited + 1))
  done
  rm -f "$PIDFILE"
  say "stopped"
}

status() {
  if pid_alive; then
    if port_open "$HOST" "$PORT"; then
      say "running (pid $(cat "$PIDFILE")) on $HOST:$PORT"
    else
      say "starting or unhealthy (pid $(cat "$PIDFILE")), $HOST:$PORT does not answer yet; see $LOGS/server.log"
    fi
    return 0
  fi
  if port_open "$HOST" "$PORT"; then
    say "stopped (this project's broker), but something else answers on $HOST:$PORT"
  else
    say "stopped ($HOST:$PORT)"
  fi
  return 0
}

# For the test runner: start only when nothing answers at the bootstrap address.
# Prints "started" (the caller stops it afterwards) or "reused" on its last line.
ensure() {
  local bootstrap="${KAFKA_BOOTSTRAP_SERVERS:-$HOST:$PORT}"
  local first="${bootstrap%%,*}"
  local h="${first%:*}" p="${first##*:}"
  if port_open "$h" "$p"; then
    say "a broker already answers at $bootstrap"
    echo "reused"
    return 0
  fi
  if [[ "$h" != "localhost" && "$h" != "127.0.0.1" ]]; then
    die "nothing answers at $bootstrap and it is not local; start that cluster or unset KAFKA_BOOTSTRAP_SERVERS"
  fi
  PORT="$p"; CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-$((PORT + 1))}"
  start
  echo "started"
}

console_consumer() {
  need_java
  install >&2 # stdout carries only the messages
  exec java -Dlog4j.configuration="file:$ROOT/kafka/tools-log4j.properties" -cp "$CLASSPATH_GLOB" \
    org.apache.kafka.tools.consumer.ConsoleConsumer "$@"
}

usage() {
  sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

case "${1:-help}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  ensure) ensure ;;
  install) need_java; install; say "jars in $LIBS" ;;
  console-consumer) shift; console_consumer "$@" ;;
  help|-h|--help) usage ;;
  *) usage >&2; exit 2 ;;
esac
