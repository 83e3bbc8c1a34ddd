"""Who belongs where: joining with an invitation code (`joining`), binding the networks' group
chats (`chats`), the networks and their people, one's language, cancelling (`people`)."""

from handlers.kit.feature import Feature

FEATURE = Feature("membership", modules=("joining", "chats", "people"))

# Filled by transports that can open a chat from a link (Telegram deep links).
INVITE_LINKS: dict[str, str] = {}
