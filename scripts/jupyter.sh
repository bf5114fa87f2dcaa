#!/usr/bin/env bash
# Jupyter for streamlab's notebooks, installed by the project itself. See docs/notebooks.md.
#
#   bash scripts/jupyter.sh setup                 Python env + tslab kernelspec + "streamlab" import link
#   bash scripts/jupyter.sh lab [ARGS…]           setup, then JupyterLab in notebooks/
#   bash scripts/jupyter.sh run [--output-dir D] [--timeout S] NOTEBOOK…
#                                                 setup, then execute each notebook headless into D
#   bash scripts/jupyter.sh run-all [--output-dir D] [--timeout S]
#                                                 the same for notebooks/*.ipynb (producer, consumer first)
#   bash scripts/jupyter.sh env                   print the Python env, jupyter and kernelspec in use
#
# Idempotent and quiet once done. Python env: the active conda env when it has jupyter
# (CONDA_PREFIX), otherwise .venv/ created here from requirements-jupyter.txt.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REQUIREMENTS="$ROOT/requirements-jupyter.txt"
VENV="$ROOT/.venv"
TSLAB="$ROOT/node_modules/.bin/tslab"
DEFAULT_OUT="$ROOT/results/notebooks"
DEFAULT_TIMEOUT=${STREAMLAB_CELL_TIMEOUT:-600}

die() { echo "jupyter.sh: $*" >&2; exit 1; }
note() { echo "jupyter.sh: $*" >&2; }
# shellcheck source=lib/pinned-venv.sh
source "$ROOT/scripts/lib/pinned-venv.sh"

usage() {
  sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

# --- which Python environment -------------------------------------------------------------
# Sets PREFIX (the env's root) and PY (its python).
choose_env() {
  choose_pinned_env "$VENV" jupyter
  PY="$PREFIX/bin/python"
}

# .venv with the pinned requirements (scripts/lib/pinned-venv.sh).
ensure_venv() {
  ensure_pinned_venv "$VENV" "$REQUIREMENTS" jupyter 3.11 "the pinned Jupyter packages of requirements-jupyter.txt (a few minutes)" "bash scripts/jupyter.sh setup"
}

# --- node side: dist/ and the "streamlab" self-reference ----------------------------------
ensure_node_side() {
  [ -x "$TSLAB" ] || die "$TSLAB is missing: run 'npm ci' (or 'npm install') in $ROOT first"
  command -v node >/dev/null 2>&1 || die "node is not on PATH: install Node.js 20 (or activate the conda env)"
  # Notebooks import the compiled library (dist/), so rebuild it when any lib/ source is newer.
  if [ -z "${STREAMLAB_SKIP_BUILD:-}" ]; then
    if [ ! -f "$ROOT/dist/lib/index.js" ] || [ -n "$(find "$ROOT/lib" -name '*.ts' -newer "$ROOT/dist/lib/index.js" -print -quit)" ]; then
      note "building dist/ (npm run build) so notebooks see the current lib/"
      # tsc still emits JavaScript when it reports type errors: warn, and let the notebooks run.
      (cd "$ROOT" && npm run --silent build >&2) \
        || note "WARNING: 'npm run build' reported errors (above); notebooks use dist/ as emitted. Fix them, or 'npm run typecheck' to see all."
    fi
  fi
  [ -f "$ROOT/dist/lib/index.js" ] || die "dist/lib/index.js is missing: run 'npm run build'"
  # tslab only compiles local .ts under the notebook's folder, so notebooks reach lib/ as the
  # package "streamlab": node_modules/streamlab -> .. (main/types in package.json point at dist/).
  # npm ci wipes node_modules, so this is recreated on every setup.
  local link="$ROOT/node_modules/streamlab"
  if [ -L "$link" ]; then
    [ "$(readlink "$link")" = ".." ] || { rm -f "$link"; ln -s .. "$link"; }
  elif [ -e "$link" ]; then
    die "$link exists and is not the project's self-link: remove it, then rerun setup"
  else
    ln -s .. "$link"
  fi
}

# --- the tslab kernelspec, inside the chosen env --------------------------------------------
ensure_kernel() {
  local spec="$PREFIX/share/jupyter/kernels/tslab/kernel.json"
  local node_dir
  node_dir=$(dirname "$(command -v node)")
  # argv[0] is the project's own tslab by absolute path; PATH gets node's folder first because
  # tslab's launcher is '#!/usr/bin/env node' and Jupyter may start kernels with a bare PATH.
  if [ -f "$spec" ] && "$PY" - "$spec" "$TSLAB" "$node_dir" <<'EOF'
import json, sys
spec = json.load(open(sys.argv[1]))
ok = spec.get("argv", [None])[0] == sys.argv[2] and spec.get("env", {}).get("PATH", "").startswith(sys.argv[3] + ":")
sys.exit(0 if ok else 1)
EOF
  then
    return 0
  fi
  note "installing the tslab kernelspec into $PREFIX/share/jupyter/kernels (argv: $TSLAB)"
  "$TSLAB" install --python="$PY" --binary="$TSLAB" --prefix="$PREFIX" >/dev/null \
    || die "'tslab install' failed: it needs jupyter_client and IPython in $PY (rerun setup; delete .venv to start over)"
  "$PY" - "$spec" "$node_dir" <<'EOF'
import json, sys
path, node_dir = sys.argv[1], sys.argv[2]
spec = json.load(open(path))
spec["env"] = {"PATH": node_dir + ":${PATH}"}
json.dump(spec, open(path, "w"), indent=1, sort_keys=True)
EOF
}

setup() {
  mkdir -p "$ROOT/.cache"
  # One setup at a time (tests and `npm run notebooks` may start together).
  exec 9>"$ROOT/.cache/jupyter-setup.lock"
  command -v flock >/dev/null 2>&1 && flock 9
  choose_env
  if [ "$ENV_KIND" = venv ]; then ensure_venv; fi
  ensure_node_side
  ensure_kernel
  exec 9>&-
  # Kernelspecs of this env come first, before a user-wide tslab that may point elsewhere.
  export JUPYTER_PATH="$PREFIX/share/jupyter${JUPYTER_PATH:+:$JUPYTER_PATH}"
  export PATH="$PREFIX/bin:$PATH"
}

# --- headless runs ----------------------------------------------------------------------------
# Executes notebooks with `jupyter nbconvert --execute` into an output folder (sources are never
# overwritten). A cell that fails stops that notebook and makes the exit code non-zero; nbconvert's
# log goes to <output-dir>/<name>.log and the failing cell with its stderr is printed.
run_notebooks() {
  local out=$DEFAULT_OUT timeout=$DEFAULT_TIMEOUT
  local notebooks=()
  while [ $# -gt 0 ]; do
    case $1 in
      --output-dir) out=${2:?--output-dir needs a folder}; shift 2 ;;
      --output-dir=*) out=${1#*=}; shift ;;
      --timeout) timeout=${2:?--timeout needs seconds}; shift 2 ;;
      --timeout=*) timeout=${1#*=}; shift ;;
      -h|--help) usage; exit 0 ;;
      -*) die "unknown option $1 (see 'bash scripts/jupyter.sh --help')" ;;
      *) notebooks+=("$1"); shift ;;
    esac
  done
  [ ${#notebooks[@]} -gt 0 ] || die "run: name at least one notebook, e.g. 'bash scripts/jupyter.sh run notebooks/producer.ipynb'"
  [[ $timeout =~ ^[0-9]+$ ]] && [ "$timeout" -gt 0 ] || die "--timeout must be a whole number of seconds above 0, got '$timeout'"
  for nb in "${notebooks[@]}"; do
    [ -f "$nb" ] || die "notebook not found: $nb"
  done
  mkdir -p "$out"
  out=$(cd "$out" && pwd)
  # Headless runs must end on their own: notebooks read these (docs/notebooks.md, "Parameters").
  export STREAMLAB_HEADLESS=1
  export STREAMLAB_TIME_LIMIT=${STREAMLAB_TIME_LIMIT:-5 minutes}
  local failed=0 nb name log
  for nb in "${notebooks[@]}"; do
    name=$(basename "$nb")
    log="$out/${name%.ipynb}.log"
    rm -f "$out/$name"
    note "executing $nb -> $out/$name"
    if jupyter nbconvert --to notebook --execute \
        --ExecutePreprocessor.kernel_name=tslab \
        --ExecutePreprocessor.timeout="$timeout" \
        --output-dir "$out" --output "$name" "$nb" >"$log" 2>&1; then
      continue
    fi
    failed=$((failed + 1))
    # Print nbconvert's own message (the failing cell and its stderr), not the Python traceback.
    if grep -q '^nbclient.exceptions\.' "$log"; then
      sed -n '/^nbclient.exceptions\./,$p' "$log" >&2
    else
      tail -n 20 "$log" >&2
    fi
    note "FAILED: $nb (full log: $log)"
  done
  [ "$failed" -eq 0 ] || die "$failed notebook(s) failed"
}

all_notebooks() {
  # The consumer reads what the producer published, so those two go first, in that order.
  local first=(producer.ipynb consumer.ipynb) nb
  for nb in "${first[@]}"; do
    [ -f "$ROOT/notebooks/$nb" ] && echo "$ROOT/notebooks/$nb"
  done
  for nb in "$ROOT"/notebooks/*.ipynb; do
    [ -f "$nb" ] || continue
    case $(basename "$nb") in producer.ipynb|consumer.ipynb|*.nbconvert.ipynb) continue ;; esac
    echo "$nb"
  done
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case $cmd in
  setup)
    setup
    ;;
  lab)
    setup
    cd "$ROOT/notebooks"
    # Containers often run as root, which jupyter refuses without this flag.
    if [ "$(id -u)" = 0 ]; then set -- --allow-root "$@"; fi
    exec jupyter lab "$@"
    ;;
  run)
    setup
    run_notebooks "$@"
    ;;
  run-all)
    setup
    mapfile -t nbs < <(all_notebooks)
    [ ${#nbs[@]} -gt 0 ] || die "no notebooks in $ROOT/notebooks"
    run_notebooks "$@" "${nbs[@]}"
    ;;
  env)
    setup
    echo "env:        $ENV_KIND $PREFIX"
    echo "python:     $PY"
    echo "jupyter:    $(command -v jupyter)"
    echo "jupyter_path: $JUPYTER_PATH"
    echo "kernelspec: $PREFIX/share/jupyter/kernels/tslab/kernel.json"
    echo "tslab:      $TSLAB"
    ;;
  -h|--help|help|"")
    usage
    [ -n "$cmd" ] || exit 2
    ;;
  *)
    usage >&2
    die "unknown command '$cmd'"
    ;;
esac
