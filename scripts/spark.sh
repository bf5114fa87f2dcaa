#!/usr/bin/env bash
# PySpark for streamlab's Spark engine (`streamlab query … --engine spark`), installed by the project.
#
#   bash scripts/spark.sh setup      Python env with the pinned pyspark; prints the spark-submit to use
#   bash scripts/spark.sh env        print the Python env, spark-submit and java in use
#
# Idempotent and quiet once done. Python env: the active conda env when it has pyspark
# (CONDA_PREFIX), otherwise .venv-spark/ created here from requirements-spark.txt.
# Needs Java 17 (spark-submit runs the JVM): `java -version` must work.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REQUIREMENTS="$ROOT/requirements-spark.txt"
VENV="$ROOT/.venv-spark"

die() { echo "spark.sh: $*" >&2; exit 1; }
note() { echo "spark.sh: $*" >&2; }
# shellcheck source=lib/pinned-venv.sh
source "$ROOT/scripts/lib/pinned-venv.sh"

choose_env() { choose_pinned_env "$VENV" spark-submit; }

# .venv with the pinned requirements (scripts/lib/pinned-venv.sh).
ensure_venv() {
  ensure_pinned_venv "$VENV" "$REQUIREMENTS" spark-submit 3.9 "pyspark (requirements-spark.txt, ~300 MB)" "bash scripts/spark.sh setup"
}

check_java() {
  command -v java >/dev/null 2>&1 \
    || die "no 'java' found: Spark needs Java 17 (Debian/Ubuntu: apt-get install openjdk-17-jre-headless; conda: the env from environment.yml has openjdk=17)"
}

setup() {
  mkdir -p "$ROOT/.cache"
  exec 9>"$ROOT/.cache/spark-setup.lock"
  command -v flock >/dev/null 2>&1 && flock 9
  check_java
  choose_env
  if [ "$ENV_KIND" = venv ]; then ensure_venv; fi
  exec 9>&-
}

case ${1:-} in
  setup) setup; echo "$PREFIX/bin/spark-submit" ;;
  env) setup; echo "env: $ENV_KIND $PREFIX"; echo "spark-submit: $PREFIX/bin/spark-submit"; echo "java: $(command -v java)"; java -version 2>&1 | head -1 ;;
  -h|--help|"") sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' ;;
  *) die "unknown command '$1' (see 'bash scripts/spark.sh --help')" ;;
esac
