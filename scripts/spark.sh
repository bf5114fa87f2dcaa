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

choose_env() {
  if [ -n "${CONDA_PREFIX:-}" ] && [ -x "$CONDA_PREFIX/bin/spark-submit" ] && [ -x "$CONDA_PREFIX/bin/python" ]; then
    PREFIX=$CONDA_PREFIX
    ENV_KIND=conda
  else
    PREFIX=$VENV
    ENV_KIND=venv
  fi
}

# Creates .venv-spark and installs the pinned pyspark, unless installed already (a copy of the
# requirements file inside the venv records what was installed).
ensure_venv() {
  local stamp="$VENV/.streamlab-requirements.txt"
  if [ -x "$VENV/bin/spark-submit" ] && [ -f "$stamp" ] && cmp -s "$stamp" "$REQUIREMENTS"; then
    return 0
  fi
  local python=${STREAMLAB_PYTHON:-python3}
  command -v "$python" >/dev/null 2>&1 \
    || die "no '$python' found: install Python 3.9+ (with venv), or activate a conda env made from environment.yml"
  if [ ! -x "$VENV/bin/python" ]; then
    note "creating $VENV with $($python --version 2>&1)"
    "$python" -m venv "$VENV" \
      || die "'$python -m venv' failed: on Debian/Ubuntu install python3-venv, or set STREAMLAB_PYTHON to another python"
  fi
  note "installing pyspark (requirements-spark.txt) into .venv-spark (~300 MB, once)"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQUIREMENTS" \
    || die "pip install failed (see above): check the network/proxy, then rerun 'bash scripts/spark.sh setup'"
  cp "$REQUIREMENTS" "$stamp"
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
