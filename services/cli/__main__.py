"""The `scanpay` command line: local stack, migrations, serving a service, and operator commands."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ..kit.config import ConfigError
from . import admin, demo, dev, settle

# Each module adds its subcommands with register(subparsers); later issues append theirs here.
COMMAND_MODULES = [dev, admin, demo, settle]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scanpay", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    try:
        code = args.run(args)
    except ConfigError as exc:
        print(f"scanpay: configuration error: {exc}", file=sys.stderr)
        code = 2
    except KeyboardInterrupt:
        code = 130
    raise SystemExit(code or 0)


if __name__ == "__main__":
    main()
