"""The API served in this process on a free loopback port, for `deals demo` without --url: real HTTP, a throwaway
database unless one is named, and a key made for the run (so the API is not open even for a moment)."""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from service.observability.logs import logging_config
from service.security.keys import key_line, new_key
from service.security.scopes import DEALS_READ, DEALS_WRITE
from service.settings import load_settings


@contextmanager
def served_in_process(database_url: str | None, verbose: bool, log_format: str) -> Iterator[httpx.Client]:
    """A client of the API served here until the block ends; logs on stderr (warnings and above unless verbose)."""
    import uvicorn

    from service.api.main import create_app

    key = new_key()
    with tempfile.TemporaryDirectory(prefix="deals-demo-") as scratch:
        settings = load_settings(database_url=database_url or f"sqlite:///{scratch}/deals.db",
                                 api_keys=key_line(key, (DEALS_READ, DEALS_WRITE), "demo"), api_keys_file=None)
        level = "debug" if verbose else "info"
        log_config = logging_config(level, log_format, stream="stderr", handler_level=None if verbose else "warning")
        config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=0, log_config=log_config,
                                access_log=False, lifespan="on")
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, name="demo-server", daemon=True)
        thread.start()
        try:
            url = _wait_for_address(server, thread)
            with httpx.Client(base_url=url, timeout=30, headers={"Authorization": f"Bearer {key}"}) as client:
                yield client
        finally:
            server.should_exit = True
            thread.join(30)


def _wait_for_address(server: Any, thread: threading.Thread) -> str:
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the in-process API did not start (see the log above)")
        thread.join(0.02)
    host, port = server.servers[0].sockets[0].getsockname()[:2]
    return f"http://{host}:{port}"
