#!/usr/bin/env bash
# Installs everything the test suite needs, then runs it:
#   the package with its test extras, the pinned npm toolchain (solc, Anvil, Ganache,
#   OpenZeppelin) and the Slither and Brownie environments. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

# The store's tests start a private PostgreSQL cluster (tests/postgres.py): the server binaries
# come from Debian's package when they are missing, and CI never skips those tests.
if ! compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null && ! command -v pg_ctl >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi
unset PQORACLE_SKIP_POSTGRES
# constraints.txt pins every Python package to the versions the suite last passed with.
python3 -m pip install --quiet --disable-pip-version-check -e ".[test,classifier]" -c constraints.txt
# `npm install` honours package-lock.json; `npm ci` refuses a lock file that records only this
# platform's Anvil binary, which is all the registry serves.
npm install --no-audit --no-fund --loglevel=error
bash scripts/setup-slither.sh
# Brownie pins web3 7: its own environment, which tests/contracts/test_brownie.py drives.
bash scripts/setup-brownie.sh
# Debian's prometheus (promtool): alert-rule unit tests and a real scrape (tests/deploy/).
bash scripts/setup-prometheus.sh

python3 -m ruff check oracle tests benchmarks
python3 -m mypy
python3 -m pytest "$@"
