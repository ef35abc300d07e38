"""`crm tickets list` and `crm tickets close`: the ticket queue, CRM only.

Closing here does not touch the chat; the staff console (`staff close`) also
hands a paused conversation back to the bot.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_engine.db import session_scope
from crm_engine.models import TICKET_KINDS, TICKET_STATUSES, Customer, Ticket, utcnow
from crm_engine.tickets import close_ticket, list_tickets

_REASON_WIDTH = 60


def _age(ticket: Ticket) -> str:
    minutes = int((utcnow() - ticket.created_at).total_seconds() // 60)
    if minutes < 60:
        return f"{max(minutes, 0)}m"
    if minutes < 48 * 60:
        return f"{minutes // 60}h"
    return f"{minutes // (24 * 60)}d"


def format_tickets(session: Session, tickets: Sequence[Ticket]) -> str:
    """A plain-text table of tickets with customer numbers, one line each."""
    if not tickets:
        return "No tickets."
    ids = {t.customer_id for t in tickets if t.customer_id is not None}
    codes = (
        {
            row[0]: row[1]
            for row in session.execute(
                select(Customer.id, Customer.code).where(Customer.id.in_(ids))
            )
        }
        if ids
        else {}
    )
    header = ("ID", "KIND", "PRIORITY", "STATUS", "AGE", "CUSTOMER", "CONVERSATION", "REASON")
    rows = [header]
    for t in tickets:
        reason = " ".join(t.reason.split())
        if len(reason) > _REASON_WIDTH:
            reason = reason[: _REASON_WIDTH - 1] + "…"
        rows.append(
            (
                str(t.id),
                t.kind,
                t.priority,
                t.status,
                _age(t),
                codes.get(t.customer_id, "-"),
                t.conversation_id or "-",
                reason,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=True))
        + "  "
        + row[-1]
        for row in rows
    )


def _list(args: argparse.Namespace) -> int:
    with session_scope() as session:
        tickets = list_tickets(session, status=args.status, kind=args.kind)
        print(format_tickets(session, tickets))
    return 0


def _close(args: argparse.Namespace) -> int:
    with session_scope() as session:
        ticket = close_ticket(session, args.ticket_id, resolution=args.note)
        print(f"Ticket {ticket.id} ({ticket.kind}) closed.")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    tickets = subparsers.add_parser("tickets", help="list and close tickets for staff")
    commands = tickets.add_subparsers(dest="tickets_command", required=True, metavar="ACTION")

    listing = commands.add_parser("list", help="tickets, most urgent and oldest first")
    listing.add_argument("--status", choices=TICKET_STATUSES, help="only tickets in this status")
    listing.add_argument("--kind", choices=TICKET_KINDS, help="only tickets of this kind")
    listing.set_defaults(handler=_list)

    closing = commands.add_parser("close", help="mark a ticket done (the chat is not resumed)")
    closing.add_argument("ticket_id", type=int, metavar="ID")
    closing.add_argument("--note", help="how it was resolved")
    closing.set_defaults(handler=_close)
