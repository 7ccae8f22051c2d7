"""``python -m gatekit``."""

from gatekit.cli import main

if __name__ == "__main__":
    main()
