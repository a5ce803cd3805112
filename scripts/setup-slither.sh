#!/usr/bin/env bash
# Creates .venv-slither/ with the pinned Slither and links scripts/solc-wrapper into it as `solc`.
# Slither needs web3<8 and the package runs on web3 8, so it gets its own virtual environment;
# `pqoracle audit` runs it from there. Idempotent: a second run only checks and returns.
#   PYTHON   interpreter for the environment (default python3)
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.venv-slither
python="${PYTHON:-python3}"
# Everything Slither's resolver could move that changes its findings or its JSON shape.
pins=(slither-analyzer==0.11.6 crytic-compile==0.4.2 web3==7.16.0)

installed() {
    [[ -x "$venv/bin/python" && -x "$venv/bin/slither" ]] || return 1
    "$venv/bin/python" scripts/check-pins.py "${pins[@]}"
}

if ! installed; then
    [[ -x "$venv/bin/python" ]] || "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${pins[@]}"
fi

# solc-select (a Slither dependency) installs its own `solc`, which downloads native compilers
# and fails offline; the wrapper around the pinned solcjs replaces it.
wrapper="$PWD/scripts/solc-wrapper"
if [[ "$(readlink "$venv/bin/solc" 2>/dev/null || true)" != "$wrapper" ]]; then
    ln -sfn "$wrapper" "$venv/bin/solc"
fi
