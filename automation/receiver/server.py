"""Serving the receiver with uvicorn, from the CLI or in a thread (tests, benchmarks).

uvicorn handles SIGTERM and SIGINT gracefully: it stops accepting, answers
the requests in progress, then runs the app's shutdown, which finishes the
queued work (`Dispatcher.stop`) before the process exits.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Mapping
from datetime import date

import uvicorn

from automation.bot import Bot
from automation.errors import InputError
from automation.receiver.app import Identity, Receiver
from automation.receiver.dispatch import DEFAULT_CAPACITY, DEFAULT_WORKERS, Dispatcher
from automation.receiver.work import Worker

SECRET_VARIABLE = "SALESBOT_WEBHOOK_SECRET"
# how long a shutdown waits for queued work before leaving it to the next sweep
DRAIN_SECONDS = 30.0


def secret_from_env(env: Mapping[str, str] | None = None) -> str:
    """The shared secret GitLab sends as X-Gitlab-Token; refuse to go on without one."""
    value = (os.environ if env is None else env).get(SECRET_VARIABLE, "").strip()
    if not value:
        raise InputError(
            f"{SECRET_VARIABLE} is not set: the receiver refuses to start without a "
            "webhook secret (use the same value as the hook's secret token, e.g. "
            "`salesbot webhook install --url URL`)"
        )
    return value


def build(
    bot: Bot,
    *,
    secret: str,
    today: Callable[[], date],
    workers: int = DEFAULT_WORKERS,
    capacity: int = DEFAULT_CAPACITY,
) -> Receiver:
    """The receiver for `bot` (whose token's user is looked up once, here)."""
    identity = Identity(
        bot_username=bot.api.me().username,
        bot_label=bot.config.labels.bot,
        project=bot.api.settings.project,
    )
    dispatcher = Dispatcher(Worker(bot, today), workers=workers, capacity=capacity)
    return Receiver(secret=secret, identity=identity, dispatcher=dispatcher)


def _config(receiver: Receiver, host: str, port: int) -> uvicorn.Config:
    return uvicorn.Config(
        receiver.app,
        host=host,
        port=port,
        lifespan="on",
        access_log=False,  # one JSON line per event instead (automation.receiver.logs)
        log_level="warning",
        timeout_graceful_shutdown=int(DRAIN_SECONDS),
    )


def serve(receiver: Receiver, *, host: str, port: int) -> None:
    """Serve until SIGTERM or SIGINT, then finish in-flight work."""
    uvicorn.Server(_config(receiver, host, port)).run()


class Running:
    """The receiver served on 127.0.0.1 in a background thread: `url`, `stop()`."""

    def __init__(self, receiver: Receiver, host: str = "127.0.0.1") -> None:
        self.receiver = receiver
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, 0))
        port = self._socket.getsockname()[1]
        self.url = f"http://{host}:{port}"
        self._server = uvicorn.Server(_config(receiver, host, port))
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    def start(self) -> Running:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the receiver did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """As SIGTERM would: stop accepting, finish the queued work, return."""
        self._server.should_exit = True
        self._thread.join(DRAIN_SECONDS + 10)
        self._socket.close()

    def __enter__(self) -> Running:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
