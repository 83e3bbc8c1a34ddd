"""Join requests: strangers ask with /zglos (flow), a network's coordinators get a summary at
most every few minutes instead of a message per request (render, jobs/joining.py), list what
waits with /zgloszenia (listing) and decide with /przyjmij or /odrzuc (flow)."""

from handlers.kit.feature import Feature

FEATURE = Feature("joining", modules=("flow", "listing", "render"), jobs=True)
