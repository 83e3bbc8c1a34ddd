"""The small neutral kernel that handlers, jobs and the edges share: messages, i18n, clock,
settings, formatting and the outbox's enqueue API. It imports nothing from `bot/`."""
