"""Invoice (发票) requests: one per order, with a title and, for companies, a tax id.

A personal invoice (title "个人" or a person's name) needs no tax id. A company
title (it names a 公司, Ltd, …) needs the company's taxpayer id: the 18-character
unified social credit code (统一社会信用代码, check character verified per
GB 32100-2015), or an older 15- or 20-character taxpayer number. Asking again
updates the request while it is not issued yet, else returns it unchanged.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crm_engine.models import InvoiceRequest
from crm_engine.orders import require_order
from crm_engine.policy import ShopPolicy, shop_policy

__all__ = [
    "PERSONAL_TITLE",
    "InvoiceOutcome",
    "InvoiceView",
    "TitleCheck",
    "check_title",
    "extract_tax_id",
    "is_personal_title",
    "request_invoice",
    "tax_id_problem",
]

PERSONAL_TITLE = "个人"  # the title Chinese tax rules use for individuals
TITLE_MIN_CHARS = 2
TITLE_MAX_CHARS = 100
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
TAX_ID_LENGTHS = (15, 18, 20)

_PERSONAL_WORDS = re.compile(
    r"个人|私人|(?<![a-z])(personal|individual|private person|myself|none|no company)(?![a-z])"
)
_ORGANISATION = re.compile(
    r"公司|有限|集团|企业|工厂|厂$|商行|商店|门市|店$|中心|研究|院$|所$|学校|大学|学院|医院|银行|协会|"
    r"委员会|局$|事务所|合作社|工作室|个体|经营部|"
    r"(?<![a-z])(co|company|ltd|limited|inc|incorporated|corp|corporation|llc|llp|gmbh|plc|"
    r"group|university|school|college|hospital|bank|institute|association|studio|trading|"
    r"holdings)(?![a-z])"
)
# Words customers put before the title itself: "抬头：…", "invoice title is …".
_TITLE_PREFIX = re.compile(
    r"^(?:(?:发票)?抬头(?:是|为|写)?|单位名称|公司名称|公司抬头|公司名|名称|"
    r"(?:the\s+)?(?:invoice\s+)?title(?:\s+is)?|company(?:\s+name)?(?:\s+is)?|name)"
    r"\s*[:：,，]?\s*",
    re.IGNORECASE,
)


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip()


@dataclass(frozen=True)
class TitleCheck:
    """problem: None, 'empty', 'too_short' or 'too_long'."""

    ok: bool
    title: str
    personal: bool
    problem: str | None = None


def is_personal_title(title: str, names: tuple[str, ...] = ()) -> bool:
    """A person's invoice: "个人"/"personal", one of `names`, or a title naming no organisation."""
    normal = _normal(title).lower()
    if _PERSONAL_WORDS.search(normal):
        return True
    if normal in {_normal(n).lower() for n in names if n}:
        return True
    return not _ORGANISATION.search(normal)


def check_title(text: str | None, names: tuple[str, ...] = ()) -> TitleCheck:
    """The invoice title in a customer's answer, e.g. "抬头：杭州云帆科技有限公司"."""
    normal = _normal(text or "")
    title = _TITLE_PREFIX.sub("", normal).strip(" :：,，。.")
    if _PERSONAL_WORDS.search(title.lower()) and not _ORGANISATION.search(title.lower()):
        return TitleCheck(True, PERSONAL_TITLE, True)
    if not title:
        return TitleCheck(False, title, False, "empty")
    if len(title) < TITLE_MIN_CHARS:
        return TitleCheck(False, title, False, "too_short")
    if len(title) > TITLE_MAX_CHARS:
        return TitleCheck(False, title, False, "too_long")
    return TitleCheck(True, title, is_personal_title(title, names))


def extract_tax_id(text: str | None) -> str:
    """The likeliest tax id in a customer's answer ("税号：9133 0100 …" → "91330100…")."""
    normal = unicodedata.normalize("NFKC", text or "").upper()
    # Groups that contain a digit, written apart ("9133 0100 …"), are one id;
    # words around it ("TAX ID") are not part of it.
    group = r"[0-9A-Z]*\d[0-9A-Z]*"
    runs = re.findall(rf"(?<![0-9A-Z]){group}(?:[\s\-]+{group})*", normal)
    candidates = [re.sub(r"[\s\-]", "", run) for run in runs]
    return max(candidates, key=len) if candidates else ""


def tax_id_problem(tax_id: str) -> str | None:
    """Why `tax_id` is not a valid Chinese taxpayer id: 'length', 'characters', 'checksum' or None."""
    if len(tax_id) not in TAX_ID_LENGTHS:
        return "length"
    if len(tax_id) == 18:
        if any(ch not in USCC_CHARS for ch in tax_id):
            return "characters"
        total = sum(USCC_CHARS.index(ch) * w for ch, w in zip(tax_id, _USCC_WEIGHTS, strict=False))
        if USCC_CHARS[(31 - total % 31) % 31] != tax_id[17]:
            return "checksum"
        return None
    if not re.fullmatch(r"[0-9A-Z]+", tax_id):
        return "characters"
    return None


@dataclass(frozen=True)
class InvoiceView:
    order_number: str
    title: str
    tax_id: str | None
    personal: bool
    status: str


@dataclass(frozen=True)
class InvoiceOutcome:
    """outcome: 'created', 'updated', 'existing' (already issued, or asked the same again)
    or 'not_eligible' (unpaid or cancelled order; `order_status` says which)."""

    outcome: str
    order_number: str
    order_status: str
    invoice: InvoiceView | None = None
    issue_within_days: int | None = None


def request_invoice(
    session: Session,
    number: str,
    *,
    title: str,
    tax_id: str | None = None,
    conversation_id: str | None = None,
    policy: ShopPolicy | None = None,
) -> InvoiceOutcome:
    """Ask for the order's e-invoice, or change the title/tax id of the pending request."""
    policy = policy or shop_policy()
    order = require_order(session, number)
    names = (order.shipping_name, order.customer.name)
    check = check_title(title, names)
    if not check.ok:
        raise ValueError(
            f"title must be {TITLE_MIN_CHARS}-{TITLE_MAX_CHARS} characters naming the invoice "
            f"holder, got {title!r} ({check.problem})"
        )
    clean_tax_id = None
    if not check.personal:
        clean_tax_id = extract_tax_id(tax_id)
        problem = tax_id_problem(clean_tax_id) if clean_tax_id else "missing"
        if problem:
            raise ValueError(
                "tax_id must be the company's 18-character unified social credit code (or a "
                f"15- or 20-character taxpayer number) for title {check.title!r}; got {tax_id!r} "
                f"({problem})"
            )
    if order.status not in policy.invoices.eligible_statuses:
        return InvoiceOutcome("not_eligible", order.number, order.status)
    days = policy.invoices.issue_within_days
    existing = session.scalars(
        select(InvoiceRequest).where(InvoiceRequest.order_id == order.id)
    ).one_or_none()

    def view(row: InvoiceRequest) -> InvoiceView:
        return InvoiceView(order.number, row.title, row.tax_id, row.tax_id is None, row.status)

    if existing is None:
        row = InvoiceRequest(
            order_id=order.id,
            title=check.title,
            tax_id=clean_tax_id,
            status="requested",
            conversation_id=conversation_id,
        )
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
            return InvoiceOutcome("created", order.number, order.status, view(row), days)
        except IntegrityError:
            # A concurrent request created it first (invoice_requests.order_id is unique).
            existing = session.scalars(
                select(InvoiceRequest).where(InvoiceRequest.order_id == order.id)
            ).one()
    same = existing.title == check.title and existing.tax_id == clean_tax_id
    if same or existing.status != "requested":
        return InvoiceOutcome("existing", order.number, order.status, view(existing), days)
    existing.title = check.title
    existing.tax_id = clean_tax_id
    existing.conversation_id = conversation_id or existing.conversation_id
    session.flush()
    return InvoiceOutcome("updated", order.number, order.status, view(existing), days)
