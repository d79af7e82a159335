"""``python -m vigil.cli``: the same as the ``vigil`` console script."""

from vigil.cli import main

if __name__ == "__main__":
    main()
