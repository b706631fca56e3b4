"""The one error shape of ``/api/v1/``: ``{"error": {"code": "...", "message": "..."}}``
with the response's status. Routes raise :class:`ApiError` (or any HTTPException, whose
status names the code); the app's handlers turn it, request validation errors and
unexpected errors into this shape for every path under ``/api/v1/``."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import HTTPException
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

V1_PREFIX = "/api/v1/"


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorJSON(BaseModel):
    """What every failed /api/v1 request answers."""

    error: ErrorBody


def code_for(status: int) -> str:
    """A status as a code: 404 → ``not_found``, 429 → ``too_many_requests``."""
    try:
        return HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_")
    except ValueError:
        return "error"


class ApiError(HTTPException):
    """An /api/v1 failure with its own code (``code_for(status)`` when none is given)."""

    def __init__(self, status: int, message: str, code: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(status_code=status, detail=message, headers=headers)
        self.code = code or code_for(status)


def error_response(status: int, code: str, message: str,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status,
                        headers=headers)


def from_http_exception(exc: StarletteHTTPException) -> JSONResponse:
    code = getattr(exc, "code", None) or code_for(exc.status_code)
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    return error_response(exc.status_code, code, message, dict(exc.headers or {}))


def from_validation_errors(errors: list[Any]) -> JSONResponse:
    """A 422 naming each bad part of the request: ``query.limit: ...; body.id: ...``."""
    parts = []
    for error in errors[:10]:
        where = ".".join(str(part) for part in error.get("loc", ()) if part != "body") or "request"
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return error_response(422, "invalid_request", "; ".join(parts) or "invalid request")


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorJSON, "description": HTTPStatus(status).phrase}
    for status in (400, 401, 403, 404, 409, 422, 429)
}
"""For a route's ``responses=``: the error statuses documented with their shape."""
