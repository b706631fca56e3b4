"""Email addresses as people type them: checked and normalized, never looked up.

Validation is syntax only (``email_validator`` with deliverability checks off): no DNS
query is ever made, so a subscription form cannot be used to probe name servers and
works offline. Addresses that need SMTPUTF8 (non-ASCII before the @) are refused, as
many mail servers cannot deliver to them; internationalized domains are fine.
"""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

from paperfeed.mail.message import clean_header

MAX_LENGTH = 254  # RFC 5321's limit on a forward path, less the angle brackets


class InvalidAddress(ValueError):
    """An address that cannot be used; the message is one line a person can read."""


def normalize_address(text: str) -> str:
    """`text` (surrounding spaces ignored) as a normalized email address: the domain
    lower-cased and in Unicode normal form, the local part kept as typed. Raises
    InvalidAddress, saying why, for anything that is not one plain address (no display
    name, no line breaks or NUL, at most 254 characters)."""
    shown = clean_header(text, limit=60)
    if any(char in text for char in "\r\n\x00"):
        raise InvalidAddress(
            f"{shown!r} is not a valid email address: it contains a line break or NUL")
    candidate = text.strip()
    if len(candidate) > MAX_LENGTH:
        raise InvalidAddress(f"{shown!r} is not a valid email address: it is longer "
                             f"than {MAX_LENGTH} characters")
    try:
        result = validate_email(candidate, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as exc:
        reason = clean_header(str(exc), limit=300)
        raise InvalidAddress(f"{shown!r} is not a valid email address: {reason}") from None
    return str(result.normalized)
