"""The compose file and the proxy config, checked by reading them (no container engine here): PostgreSQL, two API
replicas without background work behind one port, one worker; every setting they use exists and is documented."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from service.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
HARDENING_SETTINGS = ("api_keys", "api_keys_file", "max_body_bytes", "idempotency_ttl_hours", "log_level",
                      "ready_max_projection_lag", "ready_max_webhook_backlog", "cipher_key", "compress")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_runs_postgres_two_api_replicas_a_worker_and_one_proxy(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {"postgres", "api-1", "api-2", "worker", "proxy"}
    for name in ("api-1", "api-2"):
        api = services[name]
        assert api["command"][:2] == ["deals", "serve"]
        assert api["environment"]["DEALS_RUN_BACKGROUND"] == "false"
        assert api["environment"]["DEALS_DATABASE_URL"].startswith("postgresql://")
        assert "ports" not in api and api["healthcheck"]["test"]
    assert services["worker"]["command"] == ["deals", "worker"]
    assert services["worker"]["healthcheck"]["test"] == ["CMD", "deals", "worker", "--check"]
    assert services["proxy"]["ports"] == ["8000:8080"]
    assert services["api-2"]["depends_on"]["api-1"]["condition"] == "service_healthy"
    assert services["api-1"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def proxy_config(compose: dict[str, Any]) -> str:
    mount = compose["services"]["proxy"]["volumes"][0].split(":")
    assert mount[1] == "/etc/nginx/nginx.conf"
    return (ROOT / mount[0]).read_text()


def test_the_proxy_spreads_over_both_replicas_and_keeps_streams_unbuffered(compose: dict[str, Any]) -> None:
    conf = proxy_config(compose)
    for name in ("deals_by_deal", "deals_any"):
        upstream = re.search(rf"upstream {name} \{{(.*?)\}}", conf, re.S)
        assert upstream is not None
        assert re.findall(r"server (\S+?):8000", upstream.group(1)) == ["api-1", "api-2"]
    assert "listen 8080;" in conf
    assert re.search(r"location ~ \^/\(events\|deals/\[\^/\]\+/events\)/stream\$ \{[^}]*proxy_buffering off;", conf)
    assert conf.count("{") == conf.count("}")


def test_the_proxy_sends_each_deal_to_one_replica_and_the_rest_to_either(compose: dict[str, Any]) -> None:
    conf = proxy_config(compose)
    by_deal = re.search(r"upstream deals_by_deal \{(.*?)\}", conf, re.S)
    assert by_deal is not None and "hash $deal_id consistent;" in by_deal.group(1)
    assert "hash" not in re.search(r"upstream deals_any \{(.*?)\}", conf, re.S).group(1)  # type: ignore[union-attr]
    chooser = re.search(r"map \$deal_id \$deals_upstream \{(.*?)\}", conf, re.S)
    assert chooser is not None and re.search(r'"" deals_any;\s+default deals_by_deal;', chooser.group(1))
    assert conf.count("proxy_pass http://$deals_upstream;") == 2 and "proxy_pass http://deals_" not in conf
    # The map from the path to $deal_id, read as nginx reads it (PCRE's (?<id>…) is Python's (?P<id>…)).
    mapping = re.search(r"map \$uri \$deal_id \{\s+default \"\";\s+\"~(.+?)\" \$id;\s+\}", conf)
    assert mapping is not None
    pattern = re.compile(mapping.group(1).replace("(?<id>", "(?P<id>"))
    deal_id = "3f1c2a6e-0000-4000-8000-000000000001"

    def routed(path: str) -> str | None:
        found = pattern.search(path)
        return found.group("id") if found else None

    for path in (f"/deals/{deal_id}", f"/deals/{deal_id}/events", f"/deals/{deal_id}/history",
                 f"/deals/{deal_id}/events/stream"):
        assert routed(path) == deal_id
    for path in ("/deals", "/deals/", "/events", "/events/stream", "/healthz", "/deals/not-a-deal/events",
                 f"/other/deals/{deal_id}"):
        assert routed(path) is None


def test_every_setting_the_deployment_uses_exists_and_is_documented(compose: dict[str, Any]) -> None:
    readme = (ROOT / "README.md").read_text()
    used = {name for service in compose["services"].values() for name in service.get("environment", {})
            if name.startswith("DEALS_")}
    assert used
    fields = {f"DEALS_{name.upper()}" for name in Settings.model_fields}
    assert used <= fields
    documented = {f"DEALS_{name.upper()}" for name in HARDENING_SETTINGS} | used
    assert sorted(name for name in documented if f"`{name}`" not in readme) == []


def test_the_image_runs_deals_serve_as_a_user_with_sqlite_in_a_volume() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert 'CMD ["deals", "serve", "--host", "0.0.0.0", "--port", "8000"]' in dockerfile
    assert "USER deals" in dockerfile
    assert "DEALS_DATABASE_URL=sqlite:////data/deals.db" in dockerfile


def test_the_image_installs_the_locked_dependencies_before_the_source_and_reports_its_health() -> None:
    steps = [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines() if line.strip()
             and not line.startswith("#")]
    install = next(i for i, s in enumerate(steps) if "--require-hashes -r requirements/runtime.txt" in s)
    first_source = next(i for i, s in enumerate(steps) if s.startswith(("COPY domain", "COPY service")))
    assert steps[install - 1] == "COPY requirements/runtime.txt ./requirements/runtime.txt"
    assert install < first_source
    assert any(s.startswith("RUN pip install --no-cache-dir --no-deps .") for s in steps[first_source:])
    healthcheck = " ".join(steps[next(i for i, s in enumerate(steps) if s.startswith("HEALTHCHECK")):][:2])
    assert "http://127.0.0.1:8000/readyz" in healthcheck
    assert "USER deals" in steps
    locked = (ROOT / "requirements/runtime.txt").read_text()
    assert "--hash=sha256:" in locked and "\nfastapi-offline==" in locked


def test_the_build_context_is_the_source_the_image_copies() -> None:
    """.dockerignore lets in what the Dockerfile copies and nothing else: the context stays a few megabytes however
    many virtualenvs, databases and caches a working copy holds."""
    rules = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    assert rules[0] == "*"
    allowed = [rule[1:].rstrip("/") for rule in rules if rule.startswith("!")]
    copied = [part for line in (ROOT / "Dockerfile").read_text().splitlines() if line.startswith("COPY ")
              for part in line.split()[1:-1]]
    assert sorted(copied) == sorted(allowed)
    size = sum(path.stat().st_size for name in allowed for path in [ROOT / name, *(ROOT / name).rglob("*")]
               if path.is_file() and "__pycache__" not in path.parts)
    assert size <= 5 * 1024 * 1024, f"the build context would hold {size:,} bytes"
