"""`python tools/bench`: the single-PSA benchmark (`make bench`); `python tools/bench batch`: the batch check."""

from __future__ import annotations

import sys

if __name__ == "__main__":
    if sys.argv[1:2] == ["batch"]:
        from batch import main as batch_main

        sys.exit(batch_main(sys.argv[2:]))
    from single import main

    sys.exit(main(sys.argv[1:]))
