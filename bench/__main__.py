"""`python -m bench --scale quick|full [--only NAME] [--lines N]`."""

import argparse
import importlib
import subprocess
import sys

# Each entry is a module of this package with run(scale, lines=None).
BENCHMARKS = ("reevaluation", "admin_queue", "webhooks", "delivery", "http_load", "reports")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--scale", choices=("quick", "full"), default="quick")
    parser.add_argument("--only", choices=BENCHMARKS, help="run one benchmark")
    parser.add_argument("--lines", type=int, help="override the number of credit lines")
    parser.add_argument("--no-write", action="store_true", help="don't update docs/benchmarks.md")
    args = parser.parse_args(argv)
    if args.only:
        module = importlib.import_module(f"bench.{args.only}")
        module.run(args.scale, lines=args.lines, write=not args.no_write)
        return 0
    # Each benchmark in a process of its own: Django is set up once per process, against the
    # database that benchmark created (and drops when it ends).
    failed = 0
    for name in BENCHMARKS:
        command = [sys.executable, "-m", "bench", "--scale", args.scale, "--only", name]
        if args.lines:
            command += ["--lines", str(args.lines)]
        if args.no_write:
            command.append("--no-write")
        failed += subprocess.run(command, check=False).returncode != 0  # noqa: S603 - our own module
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
