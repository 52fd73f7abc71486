"""schemathesis over the whole OpenAPI document of a running server: no 5xx, and every response (status, content
type, headers, body) is one the document declares."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.reliability.conftest import Backend
from tests.reliability.figures import Figures
from tests.reliability.servers import ApiServer

# Live streams (server-sent events) never end, so a request to one would only time out.
ENDLESS = "/stream$"
CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,"
          "response_schema_conformance")


def run_schemathesis(url: str, report: Path, long: bool) -> subprocess.CompletedProcess[str]:
    phases = "examples,coverage,fuzzing,stateful" if long else "examples,fuzzing,stateful"
    args = [sys.executable, "-m", "schemathesis.cli", "run", f"{url}/openapi.json", "--checks", CHECKS,
            "--phases", phases, "--max-examples", "200" if long else "15", "--workers", "2", "--seed", "20250212",
            "--exclude-path-regex", ENDLESS, "--generation-database", "none", "--request-timeout", "30", "--no-color",
            "--report", "json", "--report-json-path", str(report)]
    return subprocess.run(args, capture_output=True, text=True, timeout=900 if long else 240, check=False)


QUICK_ON_SQLITE_ONLY = True  # --long fuzzes a server on PostgreSQL too


def test_schemathesis_finds_no_server_error_and_no_undocumented_response(
    backend: Backend, long: bool, figures: Figures, tmp_path: Path
) -> None:
    report = tmp_path / "schemathesis.json"
    with ApiServer(tmp_path / "api.log", **backend.deals_env()) as api:
        result = run_schemathesis(api.url, report, long)
        alive = api.alive
    summary = json.loads(report.read_text()) if report.exists() else {}
    cases = summary.get("test_cases", {})
    figures.add({"operations tested": summary.get("operations", {}).get("tested"),
                 "requests sent": cases.get("generated"), "failures": cases.get("unique_failures"),
                 "errors": len(summary.get("errors", []))})
    assert alive, "the server died under schemathesis"
    assert result.returncode == 0 and summary.get("complete"), result.stdout[-8000:] + result.stderr[-2000:]
    assert cases.get("generated", 0) > 0
