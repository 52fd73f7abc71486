"""The timeline page in a real headless Chromium, against the API under uvicorn with the Munich story recorded."""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from service.entrypoints.demo import OPENING, record_story
from tests.reliability.servers import ApiServer

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    tmp = tmp_path_factory.mktemp("timeline")
    with ApiServer(tmp / "api.log", database_url=f"sqlite:///{tmp}/deals.db") as api:
        yield api


@pytest.fixture(scope="module")
def story(server: ApiServer) -> str:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        return record_story(client)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        message = f"no Chromium at {CHROMIUM} (scripts/ensure-services installs it)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1200, "height": 900})  # type: ignore[attr-defined]
    yield context.new_page()
    context.close()


def test_the_page_shows_states_ball_statements_sources_and_conditions(server: ApiServer, story: str,
                                                                      page: object) -> None:
    from playwright.sync_api import expect

    response = page.goto(f"{server.url}/deals/{story}/timeline")  # type: ignore[attr-defined]

    assert response.status == 200 and "text/html" in response.headers["content-type"]
    expect(page.locator("h1")).to_contain_text("US–Ukraine minerals agreement")  # type: ignore[attr-defined]
    expect(page.get_by_test_id("status")).to_have_text("counter proposal pending")  # type: ignore[attr-defined]
    expect(page.get_by_test_id("ball")).to_contain_text("Ukraine")  # type: ignore[attr-defined]
    bands = page.get_by_test_id("state-band")  # type: ignore[attr-defined]
    assert [bands.nth(n).get_attribute("data-status") for n in range(bands.count())] == [
        "draft", "proposed", "signing_withheld", "counter_proposal_pending"]
    for n in range(bands.count()):
        expect(bands.nth(n)).to_be_visible()
    statements = page.get_by_test_id("statement")  # type: ignore[attr-defined]
    expect(statements).to_have_count(2)
    expect(statements.first).to_be_visible()
    speakers = page.get_by_test_id("speaker")  # type: ignore[attr-defined]
    expect(speakers.nth(0)).to_have_text("senior White House official")
    expect(speakers.nth(1)).to_have_text("Anonymous former senior official")
    expect(speakers.nth(1)).to_have_class("speaker anonymous")
    expect(page.get_by_test_id("stance")).to_have_text(["criticize", "oppose"])  # type: ignore[attr-defined]
    conditions = page.get_by_test_id("condition")  # type: ignore[attr-defined]
    expect(conditions).to_have_count(2)
    expect(conditions.first).to_contain_text("c1")
    expect(conditions.first).to_be_visible()
    assert [conditions.nth(n).get_attribute("data-status") for n in range(2)] == ["open", "open"]
    expect(page.get_by_test_id("condition-bar")).to_have_count(2)  # type: ignore[attr-defined]
    source = page.locator(".sources a").first  # type: ignore[attr-defined]
    assert (source.get_attribute("href") or "").startswith("https://apnews.com/")
    expect(page.get_by_test_id("event")).to_have_count(13)  # type: ignore[attr-defined]


def test_user_text_is_shown_as_text_never_run(server: ApiServer, page: object) -> None:
    hostile = '<script>window.hacked = 1</script><img src=x onerror="window.hacked = 2">'
    with httpx.Client(base_url=server.url, timeout=30) as client:
        deal_id = client.post("/deals", json={**OPENING, "title": hostile}).json()["deal_id"]
        recorded = client.post(f"/deals/{deal_id}/events", json={
            "type": "statement_recorded", "speaker": {"title": "<b onmouseover=alert(1)>aide</b>", "anonymous": True},
            "quote": "</blockquote><script>window.hacked = 3</script>", "stance": "oppose",
            "sources": [{"url": "javascript:window.hacked=4", "publisher": "<i>evil</i>"}]})
        assert recorded.status_code == 201, recorded.text

    page.goto(f"{server.url}/deals/{deal_id}/timeline")  # type: ignore[attr-defined]

    assert page.evaluate("window.hacked") is None  # type: ignore[attr-defined]
    assert page.locator("h1").inner_text().startswith(hostile)  # type: ignore[attr-defined]
    assert page.get_by_test_id("statement").inner_text() == "“</blockquote><script>window.hacked = 3</script>”"  # type: ignore[attr-defined]
    assert page.locator("a[href^='javascript']").count() == 0  # type: ignore[attr-defined]
    assert page.locator("script").count() == 0  # type: ignore[attr-defined]


def png_facts(data: bytes) -> tuple[int, int, int]:
    """Width, height and the number of distinct byte values in the decoded image data."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    idat, at = b"", 8
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        if kind == b"IDAT":
            idat += data[at + 8:at + 8 + length]
        at += 12 + length
    return width, height, len(set(zlib.decompress(idat)))


def test_a_screenshot_of_the_page_is_a_real_picture(server: ApiServer, story: str, page: object,
                                                    tmp_path: Path) -> None:
    page.goto(f"{server.url}/deals/{story}/timeline")  # type: ignore[attr-defined]
    shot = tmp_path / "timeline.png"

    page.screenshot(path=str(shot), full_page=True)  # type: ignore[attr-defined]
    chart = page.locator("figure").screenshot()  # type: ignore[attr-defined]

    width, height, values = png_facts(shot.read_bytes())
    assert shot.stat().st_size > 50_000
    assert width == 1200 and height > 1500, (width, height)
    assert values > 100, "the page is (nearly) one colour"
    chart_width, chart_height, chart_values = png_facts(chart)
    assert chart_width > 900 and chart_height > 200 and chart_values > 100
