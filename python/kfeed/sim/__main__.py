"""`python -m kfeed.sim ...`: the same as `kfeed sim ...`."""

import sys

from kfeed.cli import main

if __name__ == "__main__":
    sys.exit(main(["sim", *sys.argv[1:]]))
