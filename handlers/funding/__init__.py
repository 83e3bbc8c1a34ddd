"""Funding calls: feeds and the EU portal, matching to each network's profile, digests, follows."""

from handlers.kit.feature import Feature

FEATURE = Feature(
    "funding",
    modules=("calls", "profile", "follow", "sources", "report"),
    jobs=True,
    lazy=("feeds",),
)
