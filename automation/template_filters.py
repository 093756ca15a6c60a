"""The filters issue templates may use: `money`, `date`, `default`, and the
neutralising `cell` and `heading` (see `automation.templates`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from typing import Final

from jinja2 import Undefined

from automation.errors import TemplateError
from automation.neutralise import Context, Trusted, neutralise

DASH: Final = "—"


def money(value: object) -> object:
    """Whole US dollars, rounded half up: 1234.5 -> "$1,235". None stays None;
    text that is not a number (an export placeholder) is returned as it is."""
    if value is None or (isinstance(value, str) and not _is_number(value)):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise TemplateError(f"money: {value!r} is not an amount")
    try:
        with localcontext(prec=60):
            whole = Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    except InvalidOperation:  # infinity, or absurdly many digits
        raise TemplateError(f"money: {value!r} is not an amount") from None
    if whole.is_nan():
        raise TemplateError(f"money: {value!r} is not an amount")
    sign = "-" if whole < 0 else ""
    return f"{sign}${whole.copy_abs():,}"


def iso_date(value: object) -> object:
    """A date as YYYY-MM-DD. None stays None; other text is returned as it is."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if value is None or isinstance(value, str):
        return value
    raise TemplateError(f"date: {value!r} is not a date")


def default(value: object, default_value: object = DASH, boolean: bool = False) -> object:
    """`default_value` for None, empty text or an undefined value (and any
    false value with `boolean=True`); unlike Jinja's builtin, None counts."""
    if isinstance(value, Undefined) or value is None:
        return default_value
    if isinstance(value, str) and not value.strip():
        return default_value
    if boolean and not value:
        return default_value
    return value


def neutralised_as(context: Context) -> Callable[[object], Trusted]:
    # Neutralised text is safe to emit; it is idempotent, so concatenating the
    # result (which loses the trust) and neutralising again changes nothing.
    def apply(value: object) -> Trusted:
        return Trusted(neutralise(value, context))

    return apply


def _is_number(text: str) -> bool:
    try:
        return Decimal(text).is_finite()
    except InvalidOperation:
        return False
