"""``python -m mofasearch``: the same as the ``mofasearch`` console script."""

from mofasearch.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
