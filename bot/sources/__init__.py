"""Fetching funding calls from the outside world (parsing lives in handlers.funding.parse)."""
