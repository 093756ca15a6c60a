"""`salesbot serve`: GitLab webhooks in, the bot's plan for one issue out.

The schedule stays the safety net; the receiver makes the bot react within
seconds. Modules: `events` (reading GitLab's Issue and Note Hook payloads),
`dedupe` (redeliveries), `dispatch` (bounded per-issue queues and workers),
`work` (what one event costs: re-read the issue, plan it with the sweep's
planner, apply), `app` (the ASGI app: `/webhook`, `/-/health`), `server`
(uvicorn, the secret, graceful shutdown), `logs` (one JSON line per event)
and `install` (`salesbot webhook install/status`).
"""
