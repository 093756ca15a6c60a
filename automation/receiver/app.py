"""The ASGI app: `POST /webhook` for GitLab, `GET /-/health` for probes.

A delivery is answered within milliseconds whatever the load: the handler
only checks the secret (constant time), reads the body, hands it to the
intake (`automation.receiver.intake`, never blocks) and answers 202. Reading
the JSON, dropping the bot's own and other projects' events, recognising a
redelivery and queueing the issue happen on the intake thread, after the
answer: none of it changes the answer, since GitLab disables a hook that times
out (10 s by default) or keeps failing (a 4xx or 5xx counts as a failure:
`WebHooks::AutoDisabling`, GitLab 17.x). So everything but a wrong secret or
an oversized body gets a 202, an unreadable body included (logged), and an
event dropped because the queues are full.
"""

from __future__ import annotations

import hmac
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from automation.receiver import logs
from automation.receiver.dedupe import Seen, delivery_key
from automation.receiver.dispatch import Dispatcher
from automation.receiver.events import BadPayload, Event, parse
from automation.receiver.intake import Accepted, Intake

# GitLab caps a payload's description at 1 MB, and an update carries it twice
# (current and previous): anything much larger is not GitLab's.
MAX_BODY = 25 * 1024 * 1024


SWITCH_INTERVAL = 0.001  # seconds: see Receiver._lifespan

_JSON = "application/json"
# built once: answering costs no serialisation
_ACCEPTED = Response(b'{"outcome":"accepted"}', 202, media_type=_JSON)
_DROPPED = Response(b'{"outcome":"dropped"}', 202, media_type=_JSON)
_UNAUTHORIZED = Response(b'{"message":"401 Unauthorized"}', 401, media_type=_JSON)


def _fields(headers: Headers) -> dict[str, object]:
    """What the log line says of a delivery (never a header's secret)."""
    return {
        "hook": headers.get("x-gitlab-event", ""),
        "event_uuid": headers.get("x-gitlab-event-uuid", ""),
        "webhook_uuid": headers.get("x-gitlab-webhook-uuid", ""),
        "instance": headers.get("x-gitlab-instance", ""),
    }


@dataclass(frozen=True)
class Identity:
    """Whose events these are: the bot (its own events are ignored), its
    label, and the project (a group hook also sends other projects' events)."""

    bot_username: str
    bot_label: str
    project: str  # path or numeric id, as configured


def _ignored(event: Event, who: Identity) -> str | None:
    """Why an event needs no work, or None."""
    if event.iid is None:
        return "not about an issue"
    if event.username.lower() == who.bot_username.lower():
        return "the bot's own event"
    project = who.project.lower()
    if (event.project_id is not None or event.project_path) and project not in (
        str(event.project_id),
        event.project_path.lower(),
    ):
        return "another project"
    if event.labels is not None and who.bot_label not in event.labels:
        return "not a bot issue"
    return None


class Receiver:
    def __init__(
        self,
        *,
        secret: str,
        identity: Identity,
        dispatcher: Dispatcher,
        seen: Seen | None = None,
    ) -> None:
        if not secret:
            raise ValueError("a webhook secret is required")
        self._secret = secret.encode("utf-8")
        self.identity = identity
        self.dispatcher = dispatcher
        self.seen = seen or Seen()
        self.intake = Intake(self.read)
        self.stopping = False
        self.unauthorized = 0
        self.app = Starlette(
            routes=[
                Route("/webhook", self.webhook, methods=["POST"]),
                Route("/-/health", self.health, methods=["GET"]),
            ],
            lifespan=self._lifespan,
        )

    @asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        # A thread waiting for the GIL asks its holder to let go after the
        # switch interval (5 ms by default): the answering loop waits less
        # behind the intake and workers at 1 ms (the process is the receiver's).
        sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL))
        self.intake.start()
        self.dispatcher.start()
        logs.event(outcome="started", workers=self.dispatcher.workers)
        try:
            yield
        finally:
            # uvicorn has stopped accepting and answered every open request:
            # read what was accepted, finish the queued work, then exit.
            self.stopping = True
            unread = self.intake.stop()
            left = self.dispatcher.stop()
            logs.event(outcome="stopped", unfinished=left + unread)

    def _authorised(self, given: str | None) -> bool:
        if given is None:
            return False
        # Starlette decodes header bytes as latin-1: encoding back gives GitLab's bytes
        return hmac.compare_digest(given.encode("latin-1", "replace"), self._secret)

    async def webhook(self, request: Request) -> Response:
        headers = request.headers
        if not self._authorised(headers.get("x-gitlab-token")):
            self.unauthorized += 1
            logs.event(**_fields(headers), outcome="unauthorized")
            return _UNAUTHORIZED
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > MAX_BODY:
            logs.event(**_fields(headers), outcome="too-large")
            return Response(b'{"message":"payload too large"}', 413, media_type=_JSON)
        body = await request.body()
        accepted = Accepted(_fields(headers), headers.get("idempotency-key"), body)
        if not self.intake.offer(accepted):
            logs.event(
                **accepted.fields,
                outcome="dropped",
                reason="the intake is full; the next scheduled sweep catches up",
            )
            return _DROPPED
        return _ACCEPTED

    def read(self, accepted: Accepted) -> None:
        """A delivery, after its answer (on the intake thread): read it, and
        queue its issue unless it needs no work."""
        fields = accepted.fields
        try:
            event = parse(str(fields["hook"]), accepted.body)
        except BadPayload as exc:
            logs.event(**fields, outcome="bad-payload", reason=str(exc))
            return
        fields.update(kind=event.kind, action=event.action, iid=event.iid, user=event.username)
        reason = _ignored(event, self.identity)
        if reason is not None:
            logs.event(**fields, outcome="ignored", reason=reason)
            return
        if not self.seen.first_time(delivery_key(accepted.idempotency_key, accepted.body)):
            logs.event(**fields, outcome="duplicate")
            return
        assert event.iid is not None
        submitted = self.dispatcher.submit(event.iid, fields, accepted.at)
        if submitted == "dropped":
            logs.event(
                **fields,
                outcome="dropped",
                reason="the queue is full; the next scheduled sweep catches up",
            )
        elif submitted != "queued":  # a queued event is logged when it is done
            logs.event(**fields, outcome=submitted)

    async def health(self, request: Request) -> JSONResponse:
        dispatcher = self.dispatcher
        body = {
            "status": "stopping" if self.stopping else "ok",
            "queued": dispatcher.queued,
            "in_flight": dispatcher.in_flight,
            "processed": dispatcher.processed,
            "coalesced": dispatcher.coalesced,
            "dropped": dispatcher.dropped + self.intake.dropped,
            "unread": self.intake.waiting,
            "unauthorized": self.unauthorized,
        }
        return JSONResponse(body, status_code=503 if self.stopping else 200)
