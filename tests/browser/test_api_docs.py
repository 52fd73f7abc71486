"""/docs and /redoc render in headless Chromium with the network beyond this server cut off: their scripts and
styles come from the service itself (service/api/docs.py), not from a CDN."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlparse

import httpx
import pytest

from tests.browser.test_timeline_page import browser  # noqa: F401  (the Chromium fixture)
from tests.hardening.keys import KeySet
from tests.reliability.servers import ApiServer


@pytest.fixture(scope="module")
def keyed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    tmp = tmp_path_factory.mktemp("docs")
    with ApiServer(tmp / "api.log", database_url=f"sqlite:///{tmp}/deals.db", api_keys=KeySet().entries) as api:
        yield api


@pytest.fixture
def offline_page(browser: object, keyed_server: ApiServer) -> Iterator[tuple[object, list[str]]]:  # noqa: F811
    """A page that may reach only the server under test; every other request is refused and recorded."""
    context = browser.new_context(viewport={"width": 1200, "height": 900})  # type: ignore[attr-defined]
    elsewhere: list[str] = []
    here = urlparse(keyed_server.url).netloc

    def only_here(route: object) -> None:
        url = route.request.url  # type: ignore[attr-defined]
        if urlparse(url).netloc == here:
            route.continue_()  # type: ignore[attr-defined]
        else:
            elsewhere.append(f"{route.request.resource_type} {url}")  # type: ignore[attr-defined]
            route.abort()  # type: ignore[attr-defined]

    context.route("**/*", only_here)
    yield context.new_page(), elsewhere
    context.close()


def test_swagger_ui_renders_the_operations_offline(keyed_server: ApiServer,
                                                  offline_page: tuple[object, list[str]]) -> None:
    from playwright.sync_api import expect

    page, elsewhere = offline_page
    page.goto(f"{keyed_server.url}/docs")  # type: ignore[attr-defined]
    operations = page.locator(".opblock")  # type: ignore[attr-defined]
    expect(operations.first).to_be_visible(timeout=20_000)
    summaries = " ".join(page.locator(".opblock-summary").all_inner_texts())  # type: ignore[attr-defined]
    assert "POST" in summaries and "/deals/{deal_id}/events" in summaries
    assert operations.count() >= 10
    expect(page.locator(".btn.authorize")).to_be_visible()  # type: ignore[attr-defined]
    assert elsewhere == []


def test_redoc_renders_the_operations_offline(keyed_server: ApiServer, offline_page: tuple[object, list[str]]) -> None:
    from playwright.sync_api import expect

    page, elsewhere = offline_page
    page.goto(f"{keyed_server.url}/redoc")  # type: ignore[attr-defined]
    expect(page.locator("h1").first).to_contain_text("Deals", timeout=20_000)  # type: ignore[attr-defined]
    expect(page.get_by_text("/deals/{deal_id}/events").first).to_be_attached()  # type: ignore[attr-defined]
    # ReDoc's sidebar shows the Redocly logo from its CDN when it can, and nothing when it cannot: that image is the
    # only request that leaves the server, and the page renders without it.
    assert set(elsewhere) <= {"image https://cdn.redoc.ly/redoc/logo-mini.svg"}


def test_the_docs_assets_need_no_key_and_the_pages_name_no_other_host(keyed_server: ApiServer) -> None:
    for path in ("/docs", "/redoc"):
        html = httpx.get(f"{keyed_server.url}{path}").text
        assert "cdn." not in html and "fonts.googleapis" not in html
    script = httpx.get(f"{keyed_server.url}/docs/assets/swagger-ui-bundle.js")
    assert script.status_code == 200 and len(script.content) > 100_000
    assert httpx.get(f"{keyed_server.url}/deals").status_code == 401
