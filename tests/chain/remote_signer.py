"""A test signer whose key lives in another process, as a KMS's or an HSM's would.

`ProcessSigner` implements the `Signer` protocol without `LocalSigner`: it starts a child process
that reads the key file itself, and sends it each unsigned transaction over a pipe; the process
that drives the chain never holds the key. `from_settings` is the factory the `signer` setting
names (`PQORACLE_SIGNER=tests.chain.remote_signer:from_settings`), reading the key file's path
from `REMOTE_SIGNER_KEY_FILE`. Every wait on the child is bounded.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from oracle.chain.signer import UnsignedTransaction
from oracle.config import Settings
from oracle.errors import ConfigError, SignerError

KEY_FILE_ENV = "REMOTE_SIGNER_KEY_FILE"
#: A nonce the signing process refuses to sign, as a KMS refuses a request by policy.
REFUSED_NONCE = 666
#: Seconds the signer waits for an answer from its process.
TIMEOUT = 30.0


def _serve(key_file: str, connection: Connection) -> None:
    """The child: holds the key, signs what it is sent until told to stop (None)."""
    from eth_account import Account

    account = Account.from_key(Path(key_file).read_text().strip())
    connection.send(account.address)
    for _ in range(1_000_000):
        request: Any = connection.recv()
        if request is None:
            return
        if request["nonce"] == REFUSED_NONCE:
            connection.send(("error", f"nonce {REFUSED_NONCE}"))
            continue
        signed = account.sign_transaction(request)
        connection.send(("ok", bytes(signed.raw_transaction)))


class ProcessSigner:
    """Signs in a child process that holds the key; this process only knows the address."""

    def __init__(self, key_file: Path) -> None:
        """Start the child process that reads `key_file`."""
        context = multiprocessing.get_context("spawn")
        self._connection, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(str(key_file), child), daemon=True)
        self._process.start()
        child.close()
        self._address: str = self._receive()
        #: Transactions signed so far (for tests to see that this signer did sign).
        self.signed = 0

    def _receive(self) -> Any:
        if not self._connection.poll(TIMEOUT):
            raise SignerError(f"the signing process did not answer within {TIMEOUT:g} s")
        return self._connection.recv()

    @property
    def address(self) -> Any:
        """The address of the key the child holds."""
        return self._address

    def sign_transaction(self, transaction: UnsignedTransaction) -> bytes:
        """Have the child sign `transaction`."""
        self._connection.send(dict(transaction))
        status, value = self._receive()
        if status != "ok":
            raise SignerError(f"the signing process refused: {value}")
        self.signed += 1
        return bytes(value)

    def close(self) -> None:
        """Stop the child process."""
        with contextlib.suppress(OSError):
            self._connection.send(None)
        self._process.join(10)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(10)
        self._connection.close()

    def __repr__(self) -> str:
        return f"ProcessSigner({self._address})"


def from_settings(settings: Settings) -> ProcessSigner:
    """The factory `PQORACLE_SIGNER` names: a `ProcessSigner` for `$REMOTE_SIGNER_KEY_FILE`."""
    del settings  # this signer's configuration is its own environment variable
    key_file = os.environ.get(KEY_FILE_ENV)
    if not key_file:
        raise ConfigError(f"{KEY_FILE_ENV} is not set")
    return ProcessSigner(Path(key_file))
