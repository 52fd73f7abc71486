"""The machine, versions and settings of a run, and its figures as a markdown table."""

from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

from bench.server import ROOT, admin_connection, postgres_admin_url, server_env

PACKAGES = ("eventsourcing", "fastapi", "starlette", "uvicorn", "uvloop", "httptools", "pydantic", "psycopg",
            "orjson")
COMPARED = ("library", "database", "naive", "framework")


def environment(backends: list[str]) -> dict[str, Any]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory = next((line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal")), "0")
    info: dict[str, Any] = {
        "machine": f"{os.cpu_count()} CPU ({cpu}), {int(memory) / 1024 / 1024:.0f} GiB RAM, {platform.platform()}",
        "python": platform.python_version(),
        "packages": {name: _version(name) for name in PACKAGES},
        "sqlite": sqlite3.sqlite_version,
        "git": _git("rev-parse", "--short", "HEAD"),
        "load_average_at_start": os.getloadavg(),
        "server_settings": {k: v for k, v in server_env("<database>").items() if k != "DEALS_DATABASE_URL"},
    }
    if "postgres" in backends:
        with admin_connection(postgres_admin_url()) as conn:
            row = conn.execute("SELECT version(), current_setting('synchronous_commit'), current_setting('fsync'),"
                               " current_setting('shared_buffers')").fetchone()
        assert row is not None
        info["postgres"] = {"version": row[0].split(" on ")[0], "synchronous_commit": row[1], "fsync": row[2],
                            "shared_buffers": row[3]}
    return info


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "-"


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "-"


def _number(value: Any) -> str:
    if not isinstance(value, int | float):
        return "-" if value is None else str(value)
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.2f}"


def compared(fig: dict[str, Any], key: str) -> str:
    other = fig.get(key)
    if not isinstance(other, int | float) or not other:
        return "-"
    return f"{_number(other)} ({fig['value'] / other:.2f}×)"


def table(figures: list[dict[str, Any]]) -> list[str]:
    lines = ["| figure | value | unit | library (×) | database (×) | naive (×) | framework (×) | target | met | note |",
             "|---|---:|---|---:|---:|---:|---:|---|---|---|"]
    for fig in figures:
        met = {True: "yes", False: "**no**"}.get(fig.get("met"), "")  # type: ignore[arg-type]
        lines.append(f"| {fig['name'].strip()} | {_number(fig['value'])} | {fig.get('unit', '')} | "
                     f"{compared(fig, 'library')} | {compared(fig, 'database')} | {compared(fig, 'naive')} | "
                     f"{compared(fig, 'framework')} | {fig.get('target') or ''} | {met} | {fig.get('note') or ''} |")
    return lines


def markdown(report: dict[str, Any]) -> str:
    env = report["environment"]
    lines = [f"# Benchmark report {report['date']} ({report['mode']})", "",
             f"- machine: {env['machine']}",
             f"- Python {env['python']}, SQLite {env['sqlite']}, git {env['git']}",
             "- " + ", ".join(f"{k} {v}" for k, v in env["packages"].items())]
    if "postgres" in env:
        pg = env["postgres"]
        lines.append(f"- {pg['version']}: synchronous_commit={pg['synchronous_commit']}, fsync={pg['fsync']}, "
                     f"shared_buffers={pg['shared_buffers']}")
    lines += [f"- server: 1 uvicorn worker, settings {env['server_settings']} (others at their defaults)",
              f"- load average at start {tuple(round(x, 2) for x in env['load_average_at_start'])}, at end "
              f"{tuple(round(x, 2) for x in report['load_average_at_end'])}; the load generator shares the 2 cores",
              f"- took {report['seconds']:.0f} s", "",
              "Ratios are this figure divided by the compared one, measured in the same run: `library` is the same "
              "work in-process with the bare eventsourcing library (one save() per command), `database` the raw "
              "database (single-row INSERT transactions unless noted), `naive` the service with "
              "DEALS_WRITE_MODE=naive (read, decide, save per request; no group commit, no cache), `framework` "
              "a bare FastAPI app answering the same requests with no event store (bench/framework_app.py).", ""]
    for backend, modules in report["results"].items():
        lines += [f"## {backend}", ""]
        for name, result in modules.items():
            lines.append(f"### {name}" + (f" — {result['workload']}" if result.get("workload") else ""))
            lines.append("")
            if "error" in result:
                lines += [f"failed: `{result['error']}`", ""]
                continue
            lines += [*table(result.get("figures", [])), ""]
    return "\n".join(lines) + "\n"
