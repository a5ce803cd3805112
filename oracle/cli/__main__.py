"""`python -m oracle.cli`: the same as the `pqoracle` console script."""

from __future__ import annotations

from oracle.cli import main

main()
