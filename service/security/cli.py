"""`deals keys …`: make API keys and cipher keys. Each key is printed once; only its hash goes in the configuration."""

from __future__ import annotations

from typing import Annotated

import typer

from service.security.keys import key_line, new_key
from service.security.scopes import SCOPES

app = typer.Typer(help="Make API keys (and the key that encrypts stored events).", no_args_is_help=True,
                  rich_markup_mode=None)


@app.command()
def create(
    scopes: Annotated[str, typer.Option(help=f"Comma-separated scopes: {', '.join(SCOPES)}.")] = "deals:read",
    label: Annotated[str, typer.Option(help="A name for the key, kept next to its hash.")] = "",
) -> None:
    """Print a new API key (shown once) and the line to add to DEALS_API_KEYS_FILE or DEALS_API_KEYS."""
    chosen = [s.strip() for s in scopes.split(",") if s.strip()]
    unknown = sorted(set(chosen) - set(SCOPES))
    if unknown or not chosen:
        raise typer.BadParameter(f"unknown scope {', '.join(unknown) or '(none)'}; known: {', '.join(SCOPES)}")
    if label and not label.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise typer.BadParameter("the label may hold letters, digits, '-', '_' and '.' only")
    key = new_key()
    typer.echo(f"key:  {key}")
    typer.echo(f"line: {key_line(key, chosen, label)}")
    typer.echo("Give the key to the client (Authorization: Bearer <key>); configure only the line.", err=True)


@app.command()
def cipher() -> None:
    """Print a new random 256-bit key for DEALS_CIPHER_KEY (keep it safe: without it stored events are unreadable)."""
    from eventsourcing.cryptography import AESCipher

    typer.echo(AESCipher.create_key(32))
