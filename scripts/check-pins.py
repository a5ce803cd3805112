"""Exit 0 when every `name==version` argument is installed at exactly that version, else 1.

Run with a tool's own virtual environment's python (scripts/setup-slither.sh, setup-brownie.sh).
"""

import sys
from importlib import metadata

for pin in sys.argv[1:]:
    name, _, wanted = pin.partition("==")
    try:
        if metadata.version(name) != wanted:
            sys.exit(1)
    except metadata.PackageNotFoundError:
        sys.exit(1)
