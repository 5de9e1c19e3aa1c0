"""Logs never keep a full ID number or phone (docs/architecture.md (Decisions: personal data)).

Pages and the API already mask them; this filter is the second guard for whatever still
reaches a log line: a number in a URL of the access log, a message, an exception. It sits on
every handler of `LOGGING` (fupin/settings.py), on the Celery worker's handlers
(fupin/celery.py) and on gunicorn's (fupin/gunicorn_conf.py).
"""

import logging
import re

# 18-digit (last may be X) and 15-digit 居民身份证号码, and 11-digit mobile numbers (1xx…).
# Only whole runs of digits count: a 16-digit 户编号 or a 12-digit region code is left alone, and
# so are the decimals of a number (Celery's "succeeded in 0.0303961234727s").
PERSONAL_NUMBER = re.compile(r"(?<!\d)(?<!\d\.)(?:\d{17}[\dXx]|\d{15}|1\d{10})(?!\d)")


def _masked(match: re.Match) -> str:
    number = match.group()
    if len(number) == 11:  # phone: 138****5678
        return number[:3] + "****" + number[-4:]
    return number[:6] + "*" * (len(number) - 10) + number[-4:]  # ID: 620102********1234


def mask_personal_numbers(text: str) -> str:
    return PERSONAL_NUMBER.sub(_masked, text)


class MaskPersonalNumbers(logging.Filter):
    """Masks ID-shaped and phone-shaped numbers in a record's message, arguments and traceback.

    The message is formatted once here and stored without arguments, so whatever the args
    were (a path, a dict of gunicorn access atoms, an object whose str holds a number) the
    handler writes only the masked text. The record is changed in place: every handler after
    the first sees it masked.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: logging reports it itself, keep the record as it is
            return True
        masked = mask_personal_numbers(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_personal_numbers(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_personal_numbers(record.stack_info)
        return True


def mask_handlers(logger: logging.Logger) -> None:
    """Put the filter on each handler of `logger` that lacks it (handlers made outside `LOGGING`)."""
    for handler in logger.handlers:
        if not any(isinstance(existing, MaskPersonalNumbers) for existing in handler.filters):
            handler.addFilter(MaskPersonalNumbers())
