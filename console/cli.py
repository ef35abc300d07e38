"""`staff`: the console for people answering customers the bot handed over.

    staff tickets [--all] [--kind KIND]   the queue, most urgent and oldest first
    staff show TICKET_ID                  a ticket and the conversation behind it
    staff close TICKET_ID [--note TEXT]   done: close it and give the chat back to the bot
    staff resume CONVERSATION_ID          give a chat back to the bot (e.g. after a failed close)

Exit codes: 0 done; 1 the ticket is closed but the conversation could not be
resumed (Rasa unreachable or misconfigured: fix it, then `staff resume`);
2 bad input (unknown ticket, already closed).
"""

from __future__ import annotations

import argparse
import sys

from console.rasa_client import RasaClient, RasaError, rasa_settings
from crm_engine.commands.tickets import format_tickets
from crm_engine.db import session_scope
from crm_engine.interactions import conversation_transcript
from crm_engine.models import TICKET_KINDS, Ticket
from crm_engine.tickets import close_ticket, list_tickets

TRANSCRIPT_MESSAGES = 20


def _resume(conversation_id: str) -> int:
    try:
        messages = RasaClient(rasa_settings()).resume_conversation(conversation_id)
    except (RasaError, ValueError) as exc:
        print(
            f"Conversation {conversation_id} could not be resumed: {exc}\n"
            f"The bot stays silent there until `staff resume {conversation_id}` succeeds.",
            file=sys.stderr,
        )
        return 1
    print(f"Conversation {conversation_id} is back with the bot.")
    for text in messages:
        print(f"  bot> {text}")
    return 0


def _tickets(args: argparse.Namespace) -> int:
    with session_scope() as session:
        tickets = list_tickets(session, status=None if args.all else "open", kind=args.kind)
        print(format_tickets(session, tickets))
    return 0


def _show(args: argparse.Namespace) -> int:
    with session_scope() as session:
        ticket = session.get(Ticket, args.ticket_id)
        if ticket is None:
            raise ValueError(f"ticket_id {args.ticket_id} does not exist")
        print(format_tickets(session, [ticket]))
        print(f"\n{ticket.reason}")
        if ticket.resolution:
            print(f"\nResolution: {ticket.resolution}")
        if ticket.conversation_id:
            lines = conversation_transcript(
                session, ticket.conversation_id, limit=TRANSCRIPT_MESSAGES
            )
            print(f"\nConversation {ticket.conversation_id} (last {len(lines)} messages):")
            for i in lines:
                who = "customer" if i.direction == "user" else "bot"
                print(f"  {i.created_at:%Y-%m-%d %H:%M}  {who:>8}> {i.text or ''}")
    return 0


def _close(args: argparse.Namespace) -> int:
    with session_scope() as session:
        ticket = close_ticket(session, args.ticket_id, resolution=args.note)
        kind, conversation_id = ticket.kind, ticket.conversation_id
    print(f"Ticket {args.ticket_id} ({kind}) closed.")
    # Only a handoff paused the conversation; other tickets never stopped the bot.
    if kind == "handoff" and conversation_id:
        return _resume(conversation_id)
    return 0


def _resume_command(args: argparse.Namespace) -> int:
    return _resume(args.conversation_id)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="staff",
        description="Work the ticket queue and hand conversations back to the bot.",
        epilog="Needs CRM_DATABASE_URL, and RASA_URL and RASA_AUTH_TOKEN to resume conversations.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    tickets = commands.add_parser("tickets", help="open tickets, most urgent and oldest first")
    tickets.add_argument("--all", action="store_true", help="closed tickets too")
    tickets.add_argument("--kind", choices=TICKET_KINDS, help="only tickets of this kind")
    tickets.set_defaults(handler=_tickets)

    show = commands.add_parser("show", help="a ticket and its conversation")
    show.add_argument("ticket_id", type=int, metavar="TICKET_ID")
    show.set_defaults(handler=_show)

    close = commands.add_parser(
        "close", help="close a ticket; a handoff's chat goes back to the bot"
    )
    close.add_argument("ticket_id", type=int, metavar="TICKET_ID")
    close.add_argument("--note", help="how it was resolved")
    close.set_defaults(handler=_close)

    resume = commands.add_parser("resume", help="give a paused conversation back to the bot")
    resume.add_argument("conversation_id", metavar="CONVERSATION_ID")
    resume.set_defaults(handler=_resume_command)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except ValueError as exc:
        print(f"staff: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
