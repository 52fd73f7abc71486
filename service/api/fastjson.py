"""Responses serialised once with orjson, skipping the response-model validation FastAPI would run again.

The bodies are built by api/mapping.py in the shape of the response models (tests check they validate); orjson
writes datetimes, UUIDs, enums and dataclasses the way pydantic does (UTC as `Z`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from fastapi import Response

_OPTIONS = orjson.OPT_UTC_Z


def json_response(body: Any, status_code: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body, option=_OPTIONS), status_code=status_code, headers=headers,
                    media_type="application/json")
