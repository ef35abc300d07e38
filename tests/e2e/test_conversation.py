"""End to end through the REST channel: language, handoff pause/resume, interaction log."""

from __future__ import annotations

import re
import subprocess
import time

import requests
from sqlalchemy import create_engine, select

from crm_engine.models import Interaction, Ticket
from scripts.stack import ROOT, Conversation

CJK = re.compile(r"[\u4e00-\u9fff]")


def _db(stack):
    return create_engine(stack.env["CRM_DATABASE_URL"])


def _wait_for(predicate, timeout: float = 10.0):
    """The interaction log is written asynchronously by the event broker."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.3)


def test_replies_in_the_language_the_customer_writes(stack):
    zh = " ".join(Conversation(stack.rasa_url).say("你好"))
    en = " ".join(Conversation(stack.rasa_url).say("hello there"))
    assert CJK.search(zh), zh
    assert en and not CJK.search(en), en


def test_handoff_pauses_the_bot_until_staff_close_the_ticket(stack):
    conv = Conversation(stack.rasa_url)
    created = " ".join(conv.say("我要转人工客服"))
    match = re.search(r"#(\d+)", created)
    assert match, f"no ticket number in {created!r}"
    ticket_id = int(match.group(1))

    assert conv.say("你好，还在吗？") == [], "a handed-off conversation gets no automatic reply"

    engine = _db(stack)
    with engine.connect() as db:
        ticket = db.execute(select(Ticket).where(Ticket.id == ticket_id)).one()
        assert ticket.conversation_id == conv.sender and ticket.status == "open"

    closed = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "staff"), "close", str(ticket_id), "--note", "answered by phone"],
        env=stack.env, cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert closed.returncode == 0, closed.stdout + closed.stderr

    assert CJK.search(" ".join(conv.say("你好"))), "the bot answers again once the ticket is closed"
    with engine.connect() as db:
        assert db.execute(select(Ticket.status).where(Ticket.id == ticket_id)).scalar() == "closed"

    def logged_user_texts():
        with engine.connect() as db:
            return (
                db.execute(
                    select(Interaction.text).where(
                        Interaction.conversation_id == conv.sender, Interaction.direction == "user"
                    )
                )
                .scalars()
                .all()
            )

    texts = _wait_for(lambda: (t := logged_user_texts()) and "你好" in t and t)
    assert {"我要转人工客服", "你好，还在吗？", "你好"} <= set(texts), texts
    engine.dispose()


def test_a_handed_off_conversation_stays_paused_when_a_new_session_starts(stack):
    conv = Conversation(stack.rasa_url)
    created = " ".join(conv.say("I need to talk to a human agent"))
    ticket_id = int(re.search(r"#(\d+)", created).group(1))

    # The customer's last message was two hours ago: the next one starts a new
    # session (session_expiration_time is 60 minutes), which used to un-pause.
    idle = {
        "event": "user",
        "text": "hello?",
        "timestamp": time.time() - 2 * 3600,
        "parse_data": {"intent": {"name": "greet", "confidence": 1.0}, "entities": []},
    }
    appended = requests.post(
        f"{stack.rasa_url}/conversations/{conv.sender}/tracker/events",
        params={"token": stack.env["RASA_AUTH_TOKEN"]},
        json=idle,
        timeout=30,
    )
    assert appended.status_code == 200, appended.text
    assert conv.say("anyone there?") == [], "no automatic reply while the ticket is open"
    tracker = requests.get(
        f"{stack.rasa_url}/conversations/{conv.sender}/tracker",
        params={"token": stack.env["RASA_AUTH_TOKEN"], "include_events": "ALL"},
        timeout=30,
    ).json()
    sessions = [e["event"] for e in tracker["events"]].count("session_started")
    assert sessions == 2, "the idle conversation got a new session (and it stayed paused)"

    closed = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "staff"), "close", str(ticket_id), "--note", "called back"],
        env=stack.env, cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert closed.returncode == 0, closed.stdout + closed.stderr
    assert conv.say("hello") != [], "the bot answers again once the ticket is closed"


def test_every_message_and_reply_is_logged_with_its_nlu_result(stack):
    conv = Conversation(stack.rasa_url)
    conv.say("hello")
    engine = _db(stack)

    def rows():
        with engine.connect() as db:
            return db.execute(
                select(Interaction).where(Interaction.conversation_id == conv.sender)
            ).all()

    logged = _wait_for(lambda: (r := rows()) and len(r) >= 2 and r)
    user = [r for r in logged if r.direction == "user"]
    bot = [r for r in logged if r.direction == "bot"]
    assert user and user[0].intent == "greet" and user[0].language == "en"
    assert user[0].channel == "rest" and 0 < user[0].confidence <= 1
    assert bot and bot[0].text
    engine.dispose()
