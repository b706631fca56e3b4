"""Atom 1.0 and RSS 2.0 feeds of papers: the daily list, trending, a category, a search
and a reader's personal feed (their digest topics).

- ``document``: a feed description (:class:`~paperfeed.feeds.document.Feed`) written as
  Atom or RSS with feedgen, text made safe for XML 1.0 first.
- ``entries``: a stored paper as a feed entry: plain-text title and abstract (TeX accents
  as letters, math as its TeX source), absolute links to its page and to arXiv.
- ``select``: which papers each feed holds; bounded (the newest :data:`select.MAX_ITEMS`)
  and read through indexed queries.
"""
