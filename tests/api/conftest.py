"""The web tests' demo site fixtures (``site_engine``, ``client``: demo data plus hostile
papers, on SQLite and PostgreSQL) for the API tests too."""

from tests.web.conftest import client, site_engine

__all__ = ["client", "site_engine"]
