"""The ``/settings`` page, rendered with everything its sections show (email digest,
personal feed, the forms' errors and typed values), whichever form sent the reader
back to it (accounts' password, profile and delete forms; recovery's verification)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from paperfeed.accounts.sessions import SignedIn
from paperfeed.web.digest import account_digest
from paperfeed.web.personal_feed import personal_feed
from paperfeed.web.templating import render


def settings_page(
    request: Request, signed_in: SignedIn, errors: dict[str, str], status: int = 200,
    headers: dict[str, str] | None = None, notice: str = "",
    values: dict[str, str] | None = None,
) -> Response:
    return render(request, "settings.html", {
        "user": signed_in.user, "errors": errors, "values": values or {}, "notice": notice,
        "digest": account_digest(request, signed_in.user),
        "personal_feed": personal_feed(request, signed_in.user),
    }, status_code=status, headers=headers)
