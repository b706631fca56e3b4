"""A reader's page, ``/users/NAME`` (found whatever the case of NAME): when they joined,
their role, whether they are banned, the papers they put on a daily list, how many
comments they wrote and, only if they chose to show them (settings), their upvotes.
Unknown and deleted accounts are a 404 page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from paperfeed.accounts.usernames import username_key
from paperfeed.storage import queries
from paperfeed.storage.queries import DailyItem
from paperfeed.web.deps import SessionDep
from paperfeed.web.pages import PageNotFound
from paperfeed.web.templating import render
from paperfeed.web.votecontrols import vote_controls

router = APIRouter(include_in_schema=False)

SHOWN = 50  # papers per section


@router.api_route("/users/{name}", methods=["GET", "HEAD"], response_class=HTMLResponse)
def profile(request: Request, session: SessionDep, name: str) -> Response:
    user = queries.user_by_key(session, username_key(name[:100]))
    if user is None:
        raise PageNotFound(f"There is no user “{name[:64]}” here.", [("/", "Latest papers")])
    # A paper they put on two days' lists is shown once, with its latest entry.
    submitted: list[DailyItem] = []
    seen: set[int] = set()
    for item in queries.submitted_by_user(session, user.id, SHOWN):  # newest first
        if item.paper.id not in seen:
            seen.add(item.paper.id)
            submitted.append(item)
    upvoted = queries.upvoted_by_user(session, user.id, SHOWN) if user.show_upvotes else []
    papers = [item.paper for item in submitted] + upvoted
    return render(request, "profile.html", {
        "user": user,
        "submitted": submitted,
        "upvoted": upvoted,
        "comment_count": queries.user_comment_count(session, user.id),
        "shown": SHOWN,
        "vote_controls": vote_controls(request, session, papers),
    })
