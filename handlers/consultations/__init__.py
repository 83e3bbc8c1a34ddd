"""Opinions on the network's results, and needs from the cities.

open: the coordinator opens a consultation (one line or step by step), lists them, gets the
opinions as documents; opinions: people give theirs (named, by city), also on joining later;
needs: /potrzeba and /potrzeby; sending: to the audience, the reminder and the close (also for
jobs/consultations.py); document: the opinions as CSV and PDF (fpdf2: loaded when made).
"""

from handlers.kit.feature import Feature

FEATURE = Feature(
    "consultations",
    modules=("open", "opinions", "needs", "sending", "render"),
    jobs=True,
    pages=True,
    lazy=("document",),
)
