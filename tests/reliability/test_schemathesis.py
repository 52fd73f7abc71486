"""schemathesis over the whole OpenAPI document of a running server with an API key, as a user runs it: every check,
positive and negative data, the stateful phase over the document's links, live streams included, on SQLite and on
PostgreSQL. Zero failures; the refusals no schema can state are configured, each with its reason, in
tests/schemathesis.toml."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from service.security.keys import key_line, new_key
from tests.reliability.conftest import Backend
from tests.reliability.figures import Figures
from tests.reliability.servers import ApiServer

CONFIG = Path(__file__).resolve().parents[1] / "schemathesis.toml"
SCOPES = "deals:read,deals:write,webhooks:admin"


def only_its_own_errors(summary: dict) -> bool:
    """A complete run with no failure whose only errors are schemathesis's own (a runtime error while generating)."""
    errors = summary.get("errors", [])
    return bool(summary.get("complete") and errors and not summary.get("test_cases", {}).get("unique_failures")
                and all(e.get("title") == "Runtime Error" for e in errors))


def run_schemathesis(url: str, key: str, report: Path, long: bool) -> subprocess.CompletedProcess[str]:
    phases = "examples,coverage,fuzzing,stateful"
    args = [sys.executable, "-m", "schemathesis.cli", "--config-file", str(CONFIG), "run", f"{url}/openapi.json",
            "-H", f"Authorization: Bearer {key}", "--checks", "all", "--phases", phases,
            "--max-examples", "100" if long else "12", "--workers", "2", "--seed", "20250212",
            "--generation-database", "none", "--no-color",
            "--report", "json", "--report-json-path", str(report)]
    return subprocess.run(args, capture_output=True, text=True, timeout=900 if long else 300, check=False)


def test_schemathesis_with_every_check_finds_no_failure(backend: Backend, long: bool, figures: Figures,
                                                        tmp_path: Path) -> None:
    report = tmp_path / "schemathesis.json"
    key = new_key()
    entry = key_line(key, SCOPES.split(","), "schemathesis")
    with ApiServer(tmp_path / "api.log", api_keys=entry, webhook_allow_loopback="true",
                   stream_heartbeat_seconds="0.2", read_wait_timeout="0.2",
                   **backend.deals_env()) as api:
        result = run_schemathesis(api.url, key, report, long)
        summary = json.loads(report.read_text()) if report.exists() else {}
        if result.returncode != 0 and only_its_own_errors(summary):
            # Schemathesis failed inside its own case generation (seen once in CI: an AssertionError in its coverage
            # phase), with no failure of the API: run it once more. Any failure of the API on either run still fails.
            report.unlink()
            result = run_schemathesis(api.url, key, report, long)
            summary = json.loads(report.read_text()) if report.exists() else {}
        alive = api.alive
    cases = summary.get("test_cases", {})
    figures.add({"operations tested": summary.get("operations", {}).get("tested"),
                 "requests sent": cases.get("generated"), "failures": cases.get("unique_failures"),
                 "errors": len(summary.get("errors", []))})
    assert alive, "the server died under schemathesis"
    assert result.returncode == 0 and summary.get("complete"), result.stdout[-8000:] + result.stderr[-2000:]
    assert cases.get("generated", 0) > 0
