"""``/api/docs``: the interactive API documentation (Swagger UI) over ``/openapi.json``,
served entirely by the site: Swagger UI 5's files (it reads OpenAPI 3.1) come from the
``fastapi-offline`` package's static directory (mounted at ``/api/docs/assets``) and
its start-up script from ``/static``, so the page needs no CDN and keeps the site's
Content-Security-Policy (no inline script)."""

from __future__ import annotations

from html import escape
from importlib.resources import files

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from paperfeed import __version__

router = APIRouter(include_in_schema=False)
ASSETS = "/api/docs/assets"


@router.get("/api/docs", response_class=HTMLResponse)
def api_docs(request: Request) -> HTMLResponse:
    title = escape(f"{request.app.state.settings.site_name} API")
    return HTMLResponse(f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="{ASSETS}/swagger-ui.css">
</head>
<body>
<main>
<h1 class="visually-hidden">{title}</h1>
<noscript><p>This page needs JavaScript. The API's description is at
<a href="/openapi.json">/openapi.json</a>.</p></noscript>
<div id="swagger-ui" data-openapi="/openapi.json"></div>
</main>
<script src="{ASSETS}/swagger-ui-bundle.js"></script>
<script src="/static/api-docs.js?v={__version__}"></script>
</body>
</html>
""", headers={"Cache-Control": "public, max-age=300"})


def mount_assets(app: FastAPI) -> None:
    directory = files("fastapi_offline") / "static"
    app.mount(ASSETS, StaticFiles(directory=str(directory)), name="api-docs-assets")
