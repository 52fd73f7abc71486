"""API keys for the hardening tests: one per scope, one with every scope, one never configured."""

from __future__ import annotations

from dataclasses import dataclass, field

from service.security.keys import key_line, new_key
from service.security.scopes import SCOPES


@dataclass(frozen=True)
class KeySet:
    by_scope: dict[str, str] = field(default_factory=lambda: {scope: new_key() for scope in SCOPES})
    everything: str = field(default_factory=new_key)
    unknown: str = field(default_factory=new_key)

    @property
    def entries(self) -> str:
        """The DEALS_API_KEYS value: hashes only."""
        lines = [key_line(key, [scope], f"only-{scope.replace(':', '-')}") for scope, key in self.by_scope.items()]
        return ";".join([*lines, key_line(self.everything, SCOPES, "all")])

    def lacking(self, scope: str) -> dict[str, str]:
        """Keys holding every scope but this one, by the scope they do hold."""
        return {held: key for held, key in self.by_scope.items() if held != scope}


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}
