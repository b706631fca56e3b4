"""Citations and data exports of papers: BibTeX, RIS, CSL-JSON and JSON Lines.

Each format is a pure function from canonical paper dicts (``storage.paper_json``) to
text (``bibtex.py``, ``ris.py``, ``csl.py``, ``jsonl.py``; the registry is
``formats.py``); ``select.py`` picks the papers: a day's list, a search, pasted ids, or a
reader's upvotes.
"""
