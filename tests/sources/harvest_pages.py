"""Response pages for harvest tests, built from the real fixtures."""

from __future__ import annotations

import copy
import re
from functools import cache

from lxml import etree

from tests.conftest import FIXTURES

OAI_NS = "{http://www.openarchives.org/OAI/2.0/}"
ATOM_NS = "{http://www.w3.org/2005/Atom}"
OPENSEARCH_NS = "{http://a9.com/-/spec/opensearch/1.1/}"

TOKEN = "6960524|1001"


@cache
def oai_page1() -> bytes:
    """The real first page of a `set=cs` harvest: 5 records and a resumption token."""
    return (
        FIXTURES / "arxiv_oai_2024-01-27_ListRecords_oai_dc_cs_resumptionToken.trimmed5.xml"
    ).read_bytes()


@cache
def oai_page2() -> bytes:
    """A last page (no token): the first 10 records of a real complete oai_dc response."""
    root = etree.fromstring(
        (FIXTURES / "arxiv_oai_2015-04-24_ListRecords_oai_dc_897records_complete.xml").read_bytes()
    )
    container = root.find(f"{OAI_NS}ListRecords")
    assert container is not None
    for record in container.findall(f"{OAI_NS}record")[10:]:
        container.remove(record)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def oai_ids(page: bytes) -> list[str]:
    return re.findall(r"<identifier>oai:arXiv.org:([^<]+)</identifier>", page.decode())


@cache
def atom_entries() -> tuple[bytes, list[etree._Element]]:
    data = (FIXTURES / "arxiv_api_2026_search_testing_start0_max100.xml").read_bytes()
    root = etree.fromstring(data)
    return data, root.findall(f"{ATOM_NS}entry")


def atom_page(start: int, size: int, total: int = 100) -> bytes:
    """A search API page cut from the real 100-entry response."""
    data, entries = atom_entries()
    root = etree.fromstring(data)
    for entry in root.findall(f"{ATOM_NS}entry"):
        root.remove(entry)
    for entry in entries[start : start + size]:
        root.append(copy.deepcopy(entry))
    for name, value in (("totalResults", total), ("startIndex", start), ("itemsPerPage", size)):
        el = root.find(f"{OPENSEARCH_NS}{name}")
        assert el is not None
        el.text = str(value)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def atom_ids() -> list[str]:
    _, entries = atom_entries()
    ids = [e.findtext(f"{ATOM_NS}id") or "" for e in entries]
    return [re.sub(r"v[0-9]+$", "", i.rsplit("/abs/", 1)[1]) for i in ids]
