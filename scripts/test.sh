#!/usr/bin/env bash
# `npm test`: the whole suite on a fresh machine, by cost: types, unit, then the real parts
# (a local Kafka broker, Jupyter + tslab, headless Chromium), each installed by the project's own
# scripts. Starts a broker only when none answers at KAFKA_BOOTSTRAP_SERVERS, and stops what it started.
# Set STREAMLAB_TEST_SUITES="unit integration" to run a subset.
set -uo pipefail
cd "$(dirname "$0")/.."

suites=${STREAMLAB_TEST_SUITES:-"unit integration notebooks browser"}
log_dir=results/test-logs
mkdir -p "$log_dir"
passed=0 failed=0 skipped=0 status=0

step() { printf '\n== %s\n' "$*"; }

run_suite() { # name, then the npm script
  local name=$1 script=$2 log="$log_dir/$1.log"
  step "mocha: $name"
  npm run --silent "$script" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  local p f s
  p=$(grep -Eo '^ *[0-9]+ passing' "$log" | grep -Eo '[0-9]+' | tail -1)
  f=$(grep -Eo '^ *[0-9]+ failing' "$log" | grep -Eo '[0-9]+' | tail -1)
  s=$(grep -Eo '^ *[0-9]+ pending' "$log" | grep -Eo '[0-9]+' | tail -1)
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${s:-0}))
  if [ "$rc" -ne 0 ]; then
    status=1
    [ -n "$f" ] || failed=$((failed + 1)) # a suite that crashed before counting still fails
  fi
}

has_suite() { [[ " $suites " == *" $1 "* ]]; }

step "build and typecheck"
npm run --silent build || exit 1
npm run --silent typecheck || exit 1

has_suite unit && run_suite unit test:unit

needs_broker=false
{ has_suite integration || has_suite notebooks; } && needs_broker=true
started_broker=false
if $needs_broker; then
  step "kafka broker"
  out=$(bash scripts/kafka.sh ensure) || { echo "$out"; echo "could not start a Kafka broker (see .kafka/logs/)"; exit 1; }
  echo "$out"
  grep -q '^started' <<<"$out" && started_broker=true
fi
stop_broker() { $started_broker && bash scripts/kafka.sh stop >/dev/null 2>&1; true; }
trap stop_broker EXIT

if has_suite integration; then
  # pyspark for the --engine spark tests (once; quiet when installed). The tests run it too.
  step "pyspark"
  bash scripts/spark.sh setup >/dev/null || { status=1; failed=$((failed + 1)); }
  run_suite integration test:integration
fi

if has_suite notebooks; then
  step "jupyter + tslab"
  if bash scripts/jupyter.sh setup; then run_suite notebooks test:notebooks; else status=1; failed=$((failed + 1)); fi
fi

if has_suite browser; then
  step "headless chromium"
  if bash scripts/browser.sh setup; then run_suite browser test:browser; else status=1; failed=$((failed + 1)); fi
fi

echo
echo "tests: $passed passed, $failed failed, $skipped skipped"
exit $status
