"""Signed links in every digest: manage preferences and unsubscribe, without logging in.

A link carries the subscription's id and an HMAC-SHA256 of (what it is for, the id, the
subscription's own secret) under the site's secret key. Nothing else is stored; giving a
subscription a new secret revokes every link mailed before. Links do not expire (an old
digest must still let its reader leave)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Literal

from sqlalchemy.orm import Session

from paperfeed.storage.models import Subscription

LinkPurpose = Literal["manage", "unsubscribe"]


def _signature(secret_key: str, purpose: str, subscription_id: int, secret: str) -> str:
    mac = hmac.new(secret_key.encode(), f"{purpose}:{subscription_id}:{secret}".encode(),
                   hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:20]).decode().rstrip("=")


def make_token(secret_key: str, purpose: LinkPurpose, subscription: Subscription) -> str:
    signature = _signature(secret_key, purpose, subscription.id, subscription.secret)
    return f"{subscription.id}.{signature}"


def check_token(session: Session, secret_key: str, purpose: LinkPurpose,
                token: str | None) -> Subscription | None:
    """The subscription a link was made for, or None for a tampered, foreign or revoked
    one (compared in constant time)."""
    if not token or len(token) > 100 or "." not in token:
        return None
    raw_id, _, signature = token.partition(".")
    if not raw_id.isdigit() or len(raw_id) > 18:
        return None
    subscription = session.get(Subscription, int(raw_id))
    if subscription is None:
        return None
    expected = _signature(secret_key, purpose, subscription.id, subscription.secret)
    if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
        return None
    return subscription


def link(base_url: str, secret_key: str, purpose: LinkPurpose,
         subscription: Subscription) -> str:
    """The absolute URL of the manage or unsubscribe page for `subscription`."""
    path = "/digest/manage" if purpose == "manage" else "/digest/unsubscribe"
    return f"{base_url.rstrip('/')}{path}?token={make_token(secret_key, purpose, subscription)}"
