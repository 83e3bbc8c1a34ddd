"""The staff desk: a web view for coordinators, experts, the organiser and the coordinating
team (bot/pages/desk). `/panel` gives the sign-in link; what the desk shows is read here and
in models; what it changes runs as the typed command, through the router."""

from handlers.kit.feature import Feature

FEATURE = Feature(
    "desk",
    modules=("commands",),
    pages=True,
    lazy=("glance", "office", "funding", "feedback"),
)
