#!/usr/bin/env bash
# Creates .venv-brownie/ with the pinned Brownie and installs scripts/solc-wrapper where py-solc-x
# looks for solc 0.8.37, so `brownie compile`, `brownie test` and `brownie run` work offline.
# Brownie pins web3 7 and the package runs on web3 8, so it gets its own virtual environment.
# Idempotent: a second run only checks and returns.
#   PYTHON              interpreter for the environment (default python3, tested with 3.11;
#                       eth-brownie 1.22.2 has wheels for CPython 3.10 to 3.14)
#   SOLCX_BINARY_PATH   py-solc-x's compiler directory (default ~/.solcx), read by py-solc-x too
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.venv-brownie
python="${PYTHON:-python3}"
# eth-brownie pins every dependency to an exact version; the other two are named because this
# project relies on them: the compiler lookup (py-solc-x) and the web3 major Brownie runs on.
pins=(eth-brownie==1.22.2 py-solc-x==2.0.5 web3==7.16.0)

installed() {
    [[ -x "$venv/bin/python" && -x "$venv/bin/brownie" ]] || return 1
    "$venv/bin/python" scripts/check-pins.py "${pins[@]}"
}

if ! installed; then
    [[ -x "$venv/bin/python" ]] || "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${pins[@]}"
fi

# py-solc-x 2.x finds solc <version> at $SOLCX_BINARY_PATH/solc-v<version>, else
# ~/.solcx/solc-v<version>, and asks it for `--version`. Brownie's own download of the compiler
# fails offline; the wrapper runs the pinned solcjs and answers as solc 0.8.37 does. The link is
# resolved to find node_modules, so it always runs this checkout's compiler.
solcx_dir="${SOLCX_BINARY_PATH:-$HOME/.solcx}"
solc="$solcx_dir/solc-v0.8.37"
wrapper="$PWD/scripts/solc-wrapper"
mkdir -p "$solcx_dir"
if [[ -e "$solc" && ! -L "$solc" ]]; then
    # A real compiler someone installed: it compiles the same contracts, so it stays.
    echo "setup-brownie.sh: keeping $solc (not a link; remove it to use $wrapper)" >&2
elif [[ "$(readlink "$solc" 2>/dev/null || true)" != "$wrapper" ]]; then
    ln -sfn "$wrapper" "$solc"
fi
