"""Post-quantum (ML-DSA, FIPS 204) signature oracle for EVM chains."""

from __future__ import annotations

__version__ = "0.1.0"
