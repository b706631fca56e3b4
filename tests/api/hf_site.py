"""The demo site served by uvicorn on a free loopback port, for the real Hugging Face
client (``huggingface_hub.HfApi``) to talk to, with the client held to loopback."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from huggingface_hub import HfApi
from huggingface_hub.utils import _http as hf_http
from sqlalchemy import Engine

from paperfeed.web.app import create_app
from tests.web.browser import serve_app
from tests.web.conftest import make_settings


def _loopback_only(request: httpx.Request) -> None:
    """No request of the client may leave the machine."""
    assert request.url.host == "127.0.0.1", f"the client tried to reach {request.url}"


@contextmanager
def loopback_client() -> Iterator[None]:
    """huggingface_hub's shared HTTP client, minus its offline-mode guard (the tests set
    HF_HUB_OFFLINE) and plus a guard that refuses anything but 127.0.0.1."""
    hf_http.set_client_factory(lambda: httpx.Client(
        event_hooks={"request": [_loopback_only]}, follow_redirects=True, timeout=120,
        trust_env=False))
    try:
        yield
    finally:
        hf_http.set_client_factory(hf_http.default_client_factory)


@contextmanager
def serve(engine: Engine, directory: Path) -> Iterator[str]:
    """The site on `engine`, its public URL (``base_url``) set to where it listens."""
    with serve_app(lambda url: create_app(make_settings(engine, directory, base_url=url),
                                          engine)) as url:
        yield url


def hub(url: str) -> HfApi:
    """The real client, pointed at the site, without a token."""
    return HfApi(endpoint=url, token=False)
