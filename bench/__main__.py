"""`python -m bench --scale quick|full [--only NAME] [--lines N]`."""

import argparse
import importlib
import sys

# Each entry is a module of this package with run(scale, lines=None).
BENCHMARKS = ("reevaluation", "admin_queue")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--scale", choices=("quick", "full"), default="quick")
    parser.add_argument("--only", choices=BENCHMARKS, help="run one benchmark")
    parser.add_argument("--lines", type=int, help="override the number of credit lines")
    parser.add_argument("--no-write", action="store_true", help="don't update docs/benchmarks.md")
    args = parser.parse_args(argv)
    for name in (args.only,) if args.only else BENCHMARKS:
        module = importlib.import_module(f"bench.{name}")
        module.run(args.scale, lines=args.lines, write=not args.no_write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
