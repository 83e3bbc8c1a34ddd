"""The meeting's note and materials, after the meeting.

send: the coordinator or the expert sends the note (/notatka: one line, or written message
after message and kept until "wyślij") and materials (/material: files attached to the
message, or links to SharePoint or MIRO); each goes privately to those who took part, an open
part's also to the observer cities and into the network's group chats (on Teams: the channel's
files); archive: /materialy lists a network's archive newest first, /material_pokaz gives one
again; render: what the messages say. The note can be written on a page too
(bot/pages/materials.py), which lists what was already sent from the meeting.
"""

from handlers.kit.feature import Feature

FEATURE = Feature("materials", modules=("send", "archive", "render"), pages=True)
