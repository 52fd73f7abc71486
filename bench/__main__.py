"""`python -m bench --quick | --full`: every benchmark on SQLite and PostgreSQL, one report in bench/results/."""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import sys
import time
import traceback
from datetime import date
from pathlib import Path
from typing import Any

from bench.report import environment, markdown, table
from bench.server import fresh_database

RESULTS = Path(__file__).resolve().parent / "results"
# The harness's own modules first, then the feature benchmarks that exist (bench/README.md has the interface).
MODULES = ("writes", "replay", "projection", "webhooks", "ledger")


def available(only: list[str] | None) -> list[str]:
    names = [m for m in MODULES if importlib.util.find_spec(f"bench.{m}") is not None]
    return [m for m in names if not only or m in only]


def run_module(name: str, backend: str, quick: bool) -> dict[str, Any]:
    began = time.perf_counter()
    try:
        module = importlib.import_module(f"bench.{name}")
        with fresh_database(backend) as url:
            result = module.run(backend, url, quick)
    except Exception as error:
        traceback.print_exc()
        result = {"error": f"{type(error).__name__}: {error}"}
    result["seconds"] = round(time.perf_counter() - began, 1)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="small counts, under 3 minutes (the default)")
    mode.add_argument("--full", action="store_true", help="longer runs, repeated: the report to commit")
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--only", nargs="*", help=f"run only these modules (of {', '.join(MODULES)})")
    parser.add_argument("--output", type=Path, default=RESULTS, help="directory for the .json and .md report")
    args = parser.parse_args(argv)
    quick = not args.full
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    os.environ.setdefault("PYTHONHASHSEED", "0")

    began = time.perf_counter()
    report: dict[str, Any] = {"date": date.today().isoformat(), "mode": "quick" if quick else "full",
                              "environment": environment(backends), "results": {}}
    for backend in backends:
        report["results"][backend] = {}
        for name in available(args.only):
            print(f"== {backend}: {name} …", file=sys.stderr, flush=True)
            result = run_module(name, backend, quick)
            report["results"][backend][name] = result
            print(f"\n{backend} / {name} ({result['seconds']} s)")
            print("\n".join(table(result.get("figures", []))) if "error" not in result else result["error"])
            sys.stdout.flush()
    report["seconds"] = time.perf_counter() - began
    report["load_average_at_end"] = os.getloadavg()

    args.output.mkdir(parents=True, exist_ok=True)
    stem = args.output / (report["date"] + ("-quick" if quick else ""))
    stem.with_suffix(".json").write_text(json.dumps(report, indent=2, default=str) + "\n")
    stem.with_suffix(".md").write_text(markdown(report))
    print(f"\nreport: {stem}.md and .json ({report['seconds']:.0f} s)")
    failed = [f"{b}/{n}" for b, modules in report["results"].items() for n, r in modules.items() if "error" in r]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
