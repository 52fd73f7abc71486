"""Request dependencies shared by the routes."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Depends, Header, Request

from domain.errors import InvalidValue
from service.application import DealsApplication
from service.settings import Settings

# At most 18 digits: a version fits in a signed 64-bit column, and int() refuses over 4300 digits.
_ETAG = re.compile(r'^\s*(?:W/)?"?([0-9]{1,18})"?\s*$')


def get_application(request: Request) -> DealsApplication:
    return request.app.state.deals


def get_app_settings(request: Request) -> Settings:
    return request.app.state.settings


def expected_version(
    if_match: Annotated[
        str | None,
        Header(description='The version the write is based on, as returned in ETag, e.g. "7". Stale → 412.'),
    ] = None,
) -> int | None:
    if if_match is None or if_match.strip() == "*":
        return None
    match = _ETAG.match(if_match)
    if match is None:
        raise InvalidValue("If-Match", 'must be a version in quotes, as in the ETag header, e.g. "7"')
    return int(match.group(1))


AppDep = Annotated[DealsApplication, Depends(get_application)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
ExpectedVersion = Annotated[int | None, Depends(expected_version)]
