from shared.errors import NotFound


class ConversationNotFound(NotFound):
    code = "conversation_not_found"
