"""Webhook endpoints: subscribe to deal events, rotate secrets, read the delivery log, retry, recover, test."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Body, Depends, Path, Query, Request, Response, status

from service.api.deps import AppDep
from service.api.errors import responses
from service.api.schemas import MAX_INT
from service.idempotency.context import keep_instead
from service.webhooks import examples as ex
from service.webhooks import schemas as s
from service.webhooks.records import Delivery, Endpoint
from service.webhooks.service import Webhooks

router = APIRouter(prefix="/webhooks", tags=["webhooks"])


def get_webhooks(request: Request) -> Webhooks:
    return request.app.state.webhooks


WebhooksDep = Annotated[Webhooks, Depends(get_webhooks)]
DeliveryId = Annotated[int, Path(ge=1, le=MAX_INT, description="The delivery's id (from its endpoint's list).")]


def documented(*statuses: int, example: Any = None, code: int = 200) -> dict[int | str, dict[str, Any]]:
    return {**responses(*statuses), **({code: ex.response(example)} if example is not None else {})}


def endpoint_out(webhooks: Webhooks, endpoint: Endpoint, secret: bool = False) -> dict[str, Any]:
    fields = {name: getattr(endpoint, name) for name in s.EndpointOut.model_fields if name != "notices"}
    fields["notices"] = [vars(n) for n in webhooks.store.notices(endpoint.id)]
    return {**fields, "secret": endpoint.secret} if secret else fields


def withhold_secret_from_replays(request: Request, endpoint_id: UUID) -> None:
    """A secret is shown once: an idempotent replay of this answer says so and where to get a new one."""

    def kept(body: str) -> str:
        answer = json.loads(body)
        answer.update(secret=None, secret_withheld={
            "reason": "the secret was shown once, in the first answer to this request, and is not kept with "
                      "idempotent answers",
            "rotate_secret": f"/webhooks/{endpoint_id}/rotate-secret",
        })
        return json.dumps(answer, separators=(",", ":"))

    keep_instead(request, kept)


def delivery_out(delivery: Delivery) -> dict[str, Any]:
    fields = {k: v for k, v in vars(delivery).items() if k != "message_id"}
    return {**fields, "webhook_id": delivery.message_id, "attempts": [vars(a) for a in delivery.attempts]}


@router.post("", status_code=status.HTTP_201_CREATED, response_model=s.EndpointCreated,
             responses=documented(422, example=ex.ENDPOINT_CREATED, code=201))
def create_webhook(
    body: Annotated[s.EndpointCreate, Body(openapi_examples=ex.CREATE)], webhooks: WebhooksDep, app: AppDep,
    response: Response, request: Request,
) -> dict:
    """Subscribe a URL to the deal events recorded from now on; the answer holds the secret, shown only once."""
    endpoint = webhooks.create(body, app.recorder.max_notification_id() or 0)
    response.headers["Location"] = f"/webhooks/{endpoint.id}"
    withhold_secret_from_replays(request, endpoint.id)
    return endpoint_out(webhooks, endpoint, secret=True)


@router.get("", response_model=s.EndpointPage, responses=documented(example={"items": [ex.ENDPOINT_OUT]}))
def list_webhooks(webhooks: WebhooksDep) -> dict:
    """All webhook endpoints (without their secrets)."""
    return {"items": [endpoint_out(webhooks, e) for e in webhooks.store.endpoints()]}


@router.get("/{endpoint_id}", response_model=s.EndpointOut, responses=documented(404, example=ex.ENDPOINT_OUT))
def read_webhook(endpoint_id: UUID, webhooks: WebhooksDep) -> dict:
    """One endpoint: its filters, whether it is enabled and why not, and its latest notices."""
    return endpoint_out(webhooks, webhooks.get(endpoint_id))


@router.patch("/{endpoint_id}", response_model=s.EndpointOut, responses=documented(404, 422, example=ex.ENDPOINT_OUT))
def update_webhook(
    endpoint_id: UUID, body: Annotated[s.EndpointUpdate, Body(openapi_examples=ex.UPDATE)], webhooks: WebhooksDep
) -> dict:
    """Change the URL, description or filters; fields not sent stay as they are."""
    return endpoint_out(webhooks, webhooks.update(endpoint_id, body))


@router.post("/{endpoint_id}/disable", response_model=s.EndpointOut,
             responses=documented(404, example={**ex.ENDPOINT_OUT, "enabled": False}))
def disable_webhook(endpoint_id: UUID, webhooks: WebhooksDep) -> dict:
    """Stop sending to the endpoint; its deliveries wait, nothing is dropped."""
    return endpoint_out(webhooks, webhooks.disable(endpoint_id))


@router.post("/{endpoint_id}/enable", response_model=s.EndpointOut, responses=documented(404, example=ex.ENDPOINT_OUT))
def enable_webhook(endpoint_id: UUID, webhooks: WebhooksDep) -> dict:
    """Send to the endpoint again, starting with the deliveries that waited while it was disabled."""
    return endpoint_out(webhooks, webhooks.enable(endpoint_id))


@router.delete("/{endpoint_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response,
               responses=responses(404))
def delete_webhook(endpoint_id: UUID, webhooks: WebhooksDep) -> Response:
    """Unsubscribe the endpoint for good (its delivery log is kept)."""
    webhooks.delete(endpoint_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{endpoint_id}/rotate-secret", response_model=s.SecretOut,
             responses=documented(404, 422, example={"secret": ex.SECRET,
                                                     "previous_secret_expires_at": "2025-02-16T11:00:00Z"}))
def rotate_webhook_secret(
    endpoint_id: UUID, webhooks: WebhooksDep, request: Request,
    body: Annotated[s.RotateSecret | None, Body(openapi_examples=ex.ROTATE)] = None,
) -> dict:
    """Issue a new secret; during the grace period deliveries carry signatures with both."""
    endpoint = webhooks.rotate_secret(endpoint_id, body.grace_period_seconds if body else None)
    withhold_secret_from_replays(request, endpoint_id)
    return {"secret": endpoint.secret, "previous_secret_expires_at": endpoint.previous_secret_expires_at}


@router.get("/{endpoint_id}/deliveries", response_model=s.DeliveryPage,
            responses=documented(404, 422, example={"items": [ex.DELIVERY_OUT], "next_cursor": "42"}))
def list_webhook_deliveries(
    endpoint_id: UUID, webhooks: WebhooksDep,
    delivery_status: Annotated[Literal["pending", "succeeded", "failed"] | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=20, description="next_cursor of the previous page")] = None,
) -> dict:
    """The endpoint's deliveries, newest first, each with its attempts (status, latency, response, error)."""
    items = webhooks.deliveries(endpoint_id, limit, cursor, delivery_status)
    return {"items": [delivery_out(d) for d in items],
            "next_cursor": str(items[-1].id) if len(items) == limit else None}


@router.get("/{endpoint_id}/deliveries/{delivery_id}", response_model=s.DeliveryOut,
            responses=documented(404, example=ex.DELIVERY_OUT))
def read_webhook_delivery(endpoint_id: UUID, delivery_id: DeliveryId, webhooks: WebhooksDep) -> dict:
    """One delivery with all its attempts."""
    return delivery_out(webhooks.delivery(endpoint_id, delivery_id))


@router.post("/{endpoint_id}/deliveries/{delivery_id}/retry", status_code=status.HTTP_202_ACCEPTED,
             response_model=s.DeliveryOut, responses=documented(404, example=ex.DELIVERY_OUT, code=202))
def retry_webhook_delivery(endpoint_id: UUID, delivery_id: DeliveryId, webhooks: WebhooksDep) -> dict:
    """Send the delivery again, whatever its state (same webhook-id, same body), in its turn in its deal's queue."""
    return delivery_out(webhooks.retry(endpoint_id, delivery_id))


@router.post("/{endpoint_id}/recover", status_code=status.HTTP_202_ACCEPTED, response_model=s.RecoverOut,
             responses=documented(404, 422, example=ex.RECOVERED, code=202))
def recover_webhook(
    endpoint_id: UUID, body: Annotated[s.RecoverIn, Body(openapi_examples=ex.RECOVER)], webhooks: WebhooksDep
) -> dict:
    """Re-send every event the endpoint selects from a position (or time) on, however old, in order; events it has
    queued already are not queued twice, and more than DEALS_WEBHOOK_RECOVER_CONFIRM_ABOVE need `confirm`."""
    return vars(webhooks.recover(endpoint_id, body))


@router.post("/{endpoint_id}/test", status_code=status.HTTP_202_ACCEPTED, response_model=s.DeliveryOut,
             responses=documented(404, example={**ex.DELIVERY_OUT, "type": "webhook.test", "origin": "test"},
                                  code=202))
def send_test_webhook(endpoint_id: UUID, webhooks: WebhooksDep) -> dict:
    """Send a `webhook.test` event to the endpoint now."""
    return delivery_out(webhooks.send_test(endpoint_id))


# What receivers get, for the OpenAPI document's `webhooks` section (included by main.py as app.webhooks).
payloads = APIRouter(tags=["webhooks"])


@payloads.post("deal-event", responses={200: {"description": "Any 2xx acknowledges; anything else is retried."}})
def deal_event(
    body: Annotated[s.DealEventPayload, Body(openapi_examples={"signing withheld": {"value": ex.DEAL_EVENT_BODY}})],
) -> None:
    """Every deal event, signed (Standard Webhooks): verify the raw body with the `standardwebhooks` package."""


@payloads.post("webhook-test", responses={200: {"description": "Any 2xx acknowledges."}})
def webhook_test(body: s.WebhookTestPayload) -> None:
    """The event `POST /webhooks/{id}/test` sends."""
