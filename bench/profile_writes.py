"""Where a single-event write spends the server's CPU: py-spy samples the server (every thread, on CPU only) while
16 clients send one statement per command, and the top of the profile is written as markdown.

    python -m bench.profile_writes [--backend sqlite|postgres|both] [--seconds 8] [--output FILE]

Each thread gets two tables: the frames that were on the stack in the most samples (inclusive), the service's and
the libraries' alike, and the frames the samples were taken in (self), each with its share of that thread's samples
and of all samples. Needs py-spy (the `bench` extra)
and, for PostgreSQL, the server of DEALS_TEST_POSTGRES_URL (as `python -m bench`).
"""

from __future__ import annotations

import argparse
import collections
import shutil
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

from bench.common import seed_deals, statement_requests, touch_all
from bench.load import drive
from bench.server import fresh_database, running_server

TOP = 25
SKIPPED = ("<frozen ", "threading.py", "runpy", "asyncio/", "uvicorn/", "anyio/", "contextlib.py", "concurrent/")


def profile(backend: str, seconds: float) -> tuple[str, list[str]]:
    """The load's figures, and the py-spy raw stacks of the server under it."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    with fresh_database(backend) as url, running_server(url) as server, \
            tempfile.NamedTemporaryFile(suffix=".txt") as raw:
        deals = seed_deals(server.url, 150)
        touch_all(server.url, deals)
        recorder = subprocess.Popen(
            [spy, "record", "-p", str(server.process.pid), "--threads", "-r", "250", "-d", str(int(seconds)),
             "-f", "raw", "-o", raw.name, "--nonblocking"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        result = drive(server.url, 16, statement_requests(deals), seconds, 0.2, server=server)
        _, error = recorder.communicate(timeout=60)
        if recorder.returncode != 0:
            raise RuntimeError(f"py-spy failed: {error.decode()[-500:]}")
        figures = f"{result.rate:,.0f} commands/s, server CPU {result.cpu_ms:.2f} ms/command, 16 clients"
        return figures, Path(raw.name).read_text().splitlines()


def top(stacks: list[str]) -> list[str]:
    threads: collections.Counter[str] = collections.Counter()
    frames: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    leaves: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for line in stacks:
        stack, _, count = line.rpartition(" ")
        names = stack.split(";")
        thread = names[0].split(": ", 1)[-1].strip('"')
        threads[thread] += int(count)
        leaves[thread][names[-1]] += int(count)
        for frame in set(names[1:]):
            if not any(skip in frame for skip in SKIPPED):
                frames[thread][frame] += int(count)
    total = sum(threads.values())
    lines = []
    for thread, samples in threads.most_common():
        if samples < total * 0.02:
            continue
        lines += ["", f"**{thread}**: {samples / total:.0%} of the samples", "",
                  "| frame | of the thread | of all |", "|---|---:|---:|"]
        lines += [f"| `{frame}` | {n / samples:.0%} | {n / total:.1%} |"
                  for frame, n in frames[thread].most_common(TOP)]
        lines += ["", "| on CPU in (self) | of the thread | of all |", "|---|---:|---:|"]
        lines += [f"| `{frame}` | {n / samples:.0%} | {n / total:.1%} |"
                  for frame, n in leaves[thread].most_common(TOP // 2)]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args()
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    lines = [f"# Where a single-event write spends the server's CPU ({date.today()})", "",
             "`python -m bench.profile_writes`: py-spy samples the server's threads while on CPU (250 Hz), "
             "16 clients, one statement per command to one of 150 deals; frames inclusive.", ""]
    for backend in backends:
        figures, stacks = profile(backend, args.seconds)
        lines += [f"## {backend}: {figures}", *top(stacks), ""]
    text = "\n".join(lines)
    if args.output:
        args.output.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
