"""Why a webhook request was refused. Each error has a stable code; service/api/errors.py maps them to statuses."""

from __future__ import annotations

from uuid import UUID

from domain.errors import DomainError, InvalidValue


class WebhookNotFound(DomainError):
    """Raised when no (undeleted) webhook endpoint has the given id."""

    code = "webhook_not_found"

    def __init__(self, endpoint_id: UUID) -> None:
        super().__init__(f"no webhook endpoint has the id {endpoint_id}", endpoint_id=str(endpoint_id))


class DeliveryNotFound(DomainError):
    """Raised when the endpoint has no delivery with the given id."""

    code = "delivery_not_found"

    def __init__(self, endpoint_id: UUID, delivery_id: int) -> None:
        super().__init__(f"webhook endpoint {endpoint_id} has no delivery {delivery_id}",
                         endpoint_id=str(endpoint_id), delivery_id=delivery_id)


class RecoverNeedsConfirm(InvalidValue):
    """Raised when a recover would queue more deliveries than DEALS_WEBHOOK_RECOVER_CONFIRM_ABOVE without `confirm`."""

    code = "recover_confirm_required"

    def __init__(self, would_queue: int, confirm_above: int) -> None:
        super().__init__("confirm", f"must be true to queue {would_queue} deliveries: a recover queuing more than "
                                    f"{confirm_above} (DEALS_WEBHOOK_RECOVER_CONFIRM_ABOVE) needs it")
        self.details.update(would_queue=would_queue, confirm_above=confirm_above)


class UnsafeUrl(InvalidValue):
    """Raised when a webhook URL is malformed or reaches a loopback, private or otherwise non-public address."""

    code = "unsafe_url"
