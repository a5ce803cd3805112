"""liboqs for the tests without its C library: the official WebAssembly build, `@oqs/liboqs-js`.

`tests/js/liboqs_server.mjs` runs it under Node and answers JSON lines; this module starts that
process once and calls it (`run_liboqs_js()`, the session fixture `liboqs` in
tests/crypto/test_liboqs_js.py, and benchmarks/agreement.py).

    with run_liboqs_js() as liboqs:
        pk, sk = liboqs.sig_keypair("ML-DSA-65")
        assert liboqs.sig_verify("ML-DSA-65", pk, b"m", liboqs.sig_sign("ML-DSA-65", sk, b"m"))

The wrapper offers what its WebAssembly module exports: OQS_SIG_keypair/sign/verify (pure ML-DSA
with the empty context, hedged signing, random key pairs holding the expanded private key) and
OQS_KEM_keypair/encaps/decaps (random key pairs holding the expanded dk, random encapsulation).
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, Final

ROOT: Final = Path(__file__).resolve().parent.parent
SERVER: Final = ROOT / "tests" / "js" / "liboqs_server.mjs"
PACKAGE: Final = ROOT / "node_modules" / "@oqs" / "liboqs-js" / "package.json"
#: The version package.json pins; the server reports the one it loaded.
PINNED_VERSION: Final = "0.15.1"
#: Seconds for the process to load and for any one answer (a WebAssembly instantiation included).
TIMEOUT: Final = 30.0


class LiboqsJsError(RuntimeError):
    """The server failed, stopped, or answered out of turn."""


class LiboqsRefused(ValueError):
    """liboqs-js refused a request: `kind` is its error class (e.g. LibOQSValidationError)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind = kind


def liboqs_js_unavailable() -> str | None:
    """Why the liboqs-js server cannot run here, or None when it can."""
    if shutil.which("node") is None:
        return "node is not on PATH"
    if not PACKAGE.is_file():
        return f"@oqs/liboqs-js missing at {PACKAGE.parent}: run `npm install`"
    return None


class LiboqsJs:
    """A running liboqs-js server: one request at a time, each answer awaited within TIMEOUT."""

    def __init__(self, process: subprocess.Popen[bytes], stderr: Path) -> None:
        """Use `run_liboqs_js` instead."""
        assert process.stdin is not None
        assert process.stdout is not None
        self._process = process
        self._stdin = process.stdin
        self._stdout = process.stdout
        self._stderr = stderr
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._stdout, selectors.EVENT_READ)
        self._buffer = bytearray()
        self._next_id = 0
        hello = self._read_line()
        if hello.get("ready") is not True:
            raise LiboqsJsError(f"unexpected first line from the liboqs-js server: {hello}")
        self.version: Final[str] = str(hello["liboqs_js"])
        self.node_version: Final[str] = str(hello["node"])

    # --- ML-DSA ----------------------------------------------------------------------------------

    def sig_keypair(self, algorithm: str) -> tuple[bytes, bytes]:
        """(public key, expanded private key) from OQS_SIG_keypair's own randomness."""
        answer = self._call("sig.keypair", alg=algorithm)
        return bytes.fromhex(answer["pk"]), bytes.fromhex(answer["sk"])

    def sig_sign(self, algorithm: str, secret_key: bytes, message: bytes) -> bytes:
        """OQS_SIG_sign: a hedged pure ML-DSA signature with the empty context.

        Raises:
            LiboqsRefused: the private key has the wrong length.
        """
        return bytes.fromhex(
            self._call("sig.sign", alg=algorithm, sk=secret_key, msg=message)["sig"]
        )

    def sig_verify(
        self, algorithm: str, public_key: bytes, message: bytes, signature: bytes
    ) -> bool:
        """OQS_SIG_verify of a pure ML-DSA signature with the empty context.

        Raises:
            LiboqsRefused: the wrapper refuses the input (a public key of the wrong length, an
                empty signature or one longer than the parameter set's).
        """
        answer = self._call("sig.verify", alg=algorithm, pk=public_key, msg=message, sig=signature)
        return bool(answer["valid"])

    # --- ML-KEM ----------------------------------------------------------------------------------

    def kem_keypair(self, algorithm: str = "ML-KEM-768") -> tuple[bytes, bytes]:
        """(encapsulation key, expanded decapsulation key) from OQS_KEM_keypair."""
        answer = self._call("kem.keypair", alg=algorithm)
        return bytes.fromhex(answer["ek"]), bytes.fromhex(answer["dk"])

    def kem_encaps(
        self, encapsulation_key: bytes, algorithm: str = "ML-KEM-768"
    ) -> tuple[bytes, bytes]:
        """(shared secret, ciphertext) of OQS_KEM_encaps with liboqs's own randomness.

        Raises:
            LiboqsRefused: wrong key length, or liboqs's encapsulation key check failed.
        """
        answer = self._call("kem.encaps", alg=algorithm, ek=encapsulation_key)
        return bytes.fromhex(answer["ss"]), bytes.fromhex(answer["ct"])

    def kem_decaps(
        self, decapsulation_key: bytes, ciphertext: bytes, algorithm: str = "ML-KEM-768"
    ) -> bytes:
        """The shared secret OQS_KEM_decaps gives for `ciphertext` under the expanded dk.

        Raises:
            LiboqsRefused: wrong key or ciphertext length.
        """
        answer = self._call("kem.decaps", alg=algorithm, dk=decapsulation_key, ct=ciphertext)
        return bytes.fromhex(answer["ss"])

    # --- the pipe --------------------------------------------------------------------------------

    def _call(self, op: str, **fields: str | bytes) -> dict[str, Any]:
        self._next_id += 1
        request: dict[str, Any] = {"id": self._next_id, "op": op}
        for name, value in fields.items():
            request[name] = value.hex() if isinstance(value, bytes) else value
        try:
            self._stdin.write(json.dumps(request).encode() + b"\n")
            self._stdin.flush()
        except BrokenPipeError as err:
            raise LiboqsJsError(f"the liboqs-js server has stopped{self._stderr_tail()}") from err
        answer = self._read_line()
        if answer.get("id") != self._next_id:
            raise LiboqsJsError(f"answer {answer.get('id')} to request {self._next_id}")
        if not answer.get("ok"):
            raise LiboqsRefused(str(answer.get("kind")), str(answer.get("error")))
        return answer

    def _read_line(self) -> dict[str, Any]:
        deadline = time.monotonic() + TIMEOUT
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not self._selector.select(left):
                raise LiboqsJsError(f"no answer from the liboqs-js server in {TIMEOUT:.0f} s")
            chunk = os.read(self._stdout.fileno(), 1 << 16)
            if not chunk:
                raise LiboqsJsError(f"the liboqs-js server has stopped{self._stderr_tail()}")
            self._buffer += chunk
        line, _, rest = self._buffer.partition(b"\n")
        self._buffer = bytearray(rest)
        answer: dict[str, Any] = json.loads(line)
        return answer

    def _stderr_tail(self) -> str:
        text = self._stderr.read_text("utf-8", errors="replace").strip()
        return f": {text[-500:]}" if text else ""

    def close(self) -> None:
        """End the server: close its stdin (it exits at end of input), then stop it if need be."""
        self._selector.close()
        with suppress(BrokenPipeError):
            self._stdin.close()
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=5)
        self._stdout.close()


@contextmanager
def run_liboqs_js() -> Iterator[LiboqsJs]:
    """Start `node tests/js/liboqs_server.mjs` from this checkout; stop it on exit.

    Raises:
        LiboqsJsError: node or the package is missing, or the server did not start.
    """
    reason = liboqs_js_unavailable()
    if reason:
        raise LiboqsJsError(reason)
    with tempfile.TemporaryDirectory(prefix="liboqs-js-") as folder:
        stderr_path = Path(folder) / "stderr"
        with stderr_path.open("wb") as stderr:
            process = subprocess.Popen(
                ["node", str(SERVER)],
                cwd=ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
            )
        try:
            server = LiboqsJs(process, stderr_path)
        except BaseException:
            process.kill()
            process.wait(timeout=5)
            raise
        try:
            yield server
        finally:
            server.close()
