"""The /search page (filled in by the search work)."""

from fastapi import APIRouter

router = APIRouter()
