"""Allow `python -m bot` as a synonym for `safermk-bot run`."""

import sys

from bot.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["run"]))
