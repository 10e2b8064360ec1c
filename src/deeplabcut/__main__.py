"""``python -m deeplabcut <command>``: the command line, also as ``torchrun -m deeplabcut train ...``."""

import sys

from deeplabcut.cli import main

if __name__ == "__main__":
    sys.exit(main())
