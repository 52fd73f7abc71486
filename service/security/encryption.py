"""Encryption at rest: a start-up check that the configured key (and compression) can read what is stored.

The library encrypts each stored event and snapshot with AES-GCM (DEALS_CIPHER_KEY) after optionally compressing it
(DEALS_COMPRESS). A wrong key would otherwise surface later as failed reads on every request; decoding the oldest
and the newest stored event when the application starts turns it into one clear error instead.
"""

from __future__ import annotations

from typing import Any


class StoredEventsUnreadable(RuntimeError):
    """Raised at start-up when the stored events cannot be decoded with the configured key and compression."""


def check_stored_events_readable(app: Any) -> None:
    recorder = app.recorder
    last = recorder.max_notification_id()
    if last is None:
        return
    first = recorder.select_notifications(start=None, limit=1)
    newest = recorder.select_notifications(start=last, limit=1)
    for notification in [*first, *newest]:
        try:
            app.mapper.to_domain_event(notification)
        except Exception as error:
            raise StoredEventsUnreadable(_explain(app, notification, error)) from None


def _explain(app: Any, notification: Any, error: Exception) -> str:
    cipher, compressor = app.mapper.cipher, app.mapper.compressor
    if cipher is not None and not _decrypts(cipher, notification.state):
        cause = "DEALS_CIPHER_KEY does not decrypt them (a different key, or they were written unencrypted)"
    elif cipher is not None:
        cause = "they decrypt, but DEALS_COMPRESS does not match how they were written"
    else:
        cause = "they were written encrypted (DEALS_CIPHER_KEY) or compressed differently (DEALS_COMPRESS)"
    return (
        f"cannot read the stored events (position {notification.id}): {cause}. Start with the settings they were "
        f"written with (now: encryption {'on' if cipher else 'off'}, compression {'on' if compressor else 'off'}). "
        f"[{type(error).__name__}]"
    )


def _decrypts(cipher: Any, data: bytes) -> bool:
    try:
        cipher.decrypt(data)
    except Exception:
        return False
    return True
