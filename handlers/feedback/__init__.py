"""Feedback after meetings: the poll, ad-hoc votes, the question sets, results and the coordinator's report."""

from handlers.kit.feature import Feature

FEATURE = Feature(
    "feedback",
    modules=("render", "poll", "adhoc", "questions", "report"),
    jobs=True,
    pages=True,
    lazy=("charts",),
)
