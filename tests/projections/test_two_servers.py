"""Two API processes on one database under uvicorn: one runs the deal list projection, the other reads its own
writes through it, and takes the projection over when the first is killed."""

from __future__ import annotations

from pathlib import Path

import httpx

from service.entrypoints.demo import OPENING
from service.settings import Settings
from tests.reliability.servers import ApiServer


def write_then_read(url: str, title: str) -> dict:
    with httpx.Client(base_url=url, timeout=30) as client:
        opened = client.post("/deals", json={**OPENING, "title": title})
        assert opened.status_code == 201, opened.text
        listed = client.get("/deals", params={"q": title, "min_position": opened.headers["Deals-Position"]})
        assert listed.status_code == 200, listed.text
        return listed.json()


def test_reads_see_writes_across_processes_and_the_projection_moves_when_its_holder_dies(
    settings: Settings, tmp_path: Path
) -> None:
    env = {"database_url": settings.database_url, "postgres_schema": settings.postgres_schema,
           "pool_size": "2", "read_wait_timeout": "15"}
    first = ApiServer(tmp_path / "first.log", **env).start()
    second = None
    try:
        assert [d["title"] for d in write_then_read(first.url, "First deal")["items"]] == ["First deal"]
        second = ApiServer(tmp_path / "second.log", **env).start()
        assert [d["title"] for d in write_then_read(second.url, "Second deal")["items"]] == ["Second deal"]

        first.kill()
        after = write_then_read(second.url, "Third deal")
        lags = httpx.get(f"{second.url}/projections", timeout=10).json()["items"]
    finally:
        first.stop()
        if second is not None:
            second.stop()

    assert [d["title"] for d in after["items"]] == ["Third deal"]
    deal_list = next(p for p in lags if p["name"] == "deal_list")
    assert deal_list["position"] == deal_list["head"] and deal_list["lag_events"] == 0
