# shellcheck shell=bash
# A Python virtualenv holding exactly a requirements file's pins, and the choice between it and an
# active conda env: shared by scripts/jupyter.sh and scripts/spark.sh (sourced; the caller defines
# die and note).
#
#   ensure_pinned_venv VENV REQUIREMENTS EXE MIN_PYTHON WHAT RERUN
#
# Nothing to do when VENV/bin/EXE exists and the copy of REQUIREMENTS kept inside VENV equals it.
# Otherwise creates VENV with $STREAMLAB_PYTHON (default python3, at least MIN_PYTHON, e.g. 3.11),
# pip-installs REQUIREMENTS (WHAT names them in the note; RERUN is the command to try again) and
# keeps the copy that records what was installed.
ensure_pinned_venv() {
  local venv=$1 requirements=$2 exe=$3 min=$4 what=$5 rerun=$6
  local stamp="$venv/.streamlab-requirements.txt"
  if [ -x "$venv/bin/$exe" ] && [ -f "$stamp" ] && cmp -s "$stamp" "$requirements"; then
    return 0
  fi
  local python=${STREAMLAB_PYTHON:-python3}
  command -v "$python" >/dev/null 2>&1 \
    || die "no '$python' found: install Python $min+ (with venv), or activate a conda env made from environment.yml"
  if [ ! -x "$venv/bin/python" ]; then
    "$python" -c "import sys; sys.exit(sys.version_info < tuple(int(p) for p in '$min'.split('.')))" \
      || die "$python is $($python --version 2>&1); $(basename "$requirements") needs Python $min+: set STREAMLAB_PYTHON=python$min, or use conda (environment.yml)"
    note "creating $venv with $($python --version 2>&1)"
    "$python" -m venv "$venv" \
      || die "'$python -m venv' failed: on Debian/Ubuntu install python3-venv, or set STREAMLAB_PYTHON to another python"
  fi
  note "installing $what into $(basename "$venv") (once)"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements" \
    || die "pip install failed (see above): check the network/proxy, then rerun '$rerun'"
  cp "$requirements" "$stamp"
}

# Which environment a script uses: the active conda env when it has EXE (and python), else VENV.
# Sets PREFIX (the env's root) and ENV_KIND (conda or venv).
#
#   choose_pinned_env VENV EXE
choose_pinned_env() {
  local venv=$1 exe=$2
  if [ -n "${CONDA_PREFIX:-}" ] && [ -x "$CONDA_PREFIX/bin/$exe" ] && [ -x "$CONDA_PREFIX/bin/python" ]; then
    PREFIX=$CONDA_PREFIX
    ENV_KIND=conda
  else
    PREFIX=$venv
    ENV_KIND=venv
  fi
}
