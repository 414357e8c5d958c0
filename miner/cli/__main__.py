"""`python -m miner.cli`: the same as the `miner` command."""

from miner.cli import main

if __name__ == "__main__":
    main()
