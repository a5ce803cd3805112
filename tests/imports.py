"""What a fresh interpreter imports: for tests that keep commands off modules they do not need.

`modules_after(code, *args)` runs `code` in a new interpreter on this checkout and returns the
top-level packages it imported, to compare with `CHAIN` or `EMBEDDED_CHAIN`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: The in-process chain: eth-tester on py-evm (whose import name is `eth`).
EMBEDDED_CHAIN = frozenset({"eth_tester", "eth"})
#: Everything a command pays for only when it talks to a chain: web3, eth-account and the
#: py_ecc pairing tables it brings, and the embedded chain.
CHAIN = frozenset({"web3", "eth_account", "py_ecc"}) | EMBEDDED_CHAIN

_PROLOGUE = "import json, sys\n_out = sys.argv.pop(1)\n"
_EPILOGUE = "\nwith open(_out, 'w') as _f:\n    json.dump(sorted(sys.modules), _f)\n"


def modules_after(code: str, *args: str, cwd: Path | None = None) -> set[str]:
    """Top-level names in `sys.modules` once `code` has run in a new interpreter on this checkout.

    `code` sees `args` as `sys.argv[1:]` and may use `sys`; the test fails when it raises.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("PQORACLE_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "modules.json"
        done = subprocess.run(
            [sys.executable, "-c", _PROLOGUE + code + _EPILOGUE, str(out), *args],
            cwd=cwd or ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        names: list[str] = json.loads(out.read_text())
    return {name.partition(".")[0] for name in names}
