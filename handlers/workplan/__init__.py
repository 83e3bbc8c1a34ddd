"""The network's work plan ("plan pracy sieci"): goals, the planned calendar of meetings,
actions with an owner, a due date and a status, and the "kontrakt" (rules of cooperation).

goals: goals and the calendar; actions: one action, its status and changes; after_meeting:
the actions agreed at a meeting, several at once (chat and page); contract: the contract,
shown on joining and acknowledged once per city; overview: /plan and the report's section;
parse and render: what people type and what the messages say (also for jobs/workplan.py).
"""

from handlers.kit.feature import Feature

FEATURE = Feature(
    "workplan",
    modules=("goals", "actions", "after_meeting", "contract", "overview"),
    jobs=True,
    pages=True,
)
