"""Customer ratings (1-5) with an optional comment, one set per conversation."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_engine.models import Feedback

RATINGS = range(1, 6)


def record_feedback(
    session: Session,
    *,
    conversation_id: str,
    rating: int,
    comment: str | None = None,
    language: str | None = None,
    customer_id: int | None = None,
) -> Feedback:
    """Store a rating; an empty comment is stored as no comment."""
    if not isinstance(conversation_id, str) or not conversation_id:
        raise ValueError(f"conversation_id must be a non-empty text; got {conversation_id!r}")
    if isinstance(rating, bool) or not isinstance(rating, int) or rating not in RATINGS:
        raise ValueError(f"rating must be an integer from 1 to 5; got {rating!r}")
    if language not in (None, "zh", "en"):
        raise ValueError(f"language must be one of zh, en or None; got {language!r}")
    feedback = Feedback(
        conversation_id=conversation_id,
        customer_id=customer_id,
        rating=rating,
        comment=comment.strip() or None if comment else None,
        language=language,
    )
    session.add(feedback)
    session.flush()
    return feedback


def has_feedback(session: Session, conversation_id: str) -> bool:
    """Whether the conversation already left a rating."""
    return (
        session.scalar(
            select(Feedback.id).where(Feedback.conversation_id == conversation_id).limit(1)
        )
        is not None
    )
