"""A paper turned into text for people, shared by every output: web pages, feeds, email
digests and exports. Pure functions and templates; nothing here imports the web app,
the search engines, ingest or the CLI.

- ``mathtext``: TeX in titles and abstracts as allowlisted MathML (everything else escaped).
- ``snippets``: search-engine highlights and abstract snippets as safe HTML.
- ``format``: authors, days and counts as people read them.
- ``jinja``: the template environment every HTML output starts from (autoescape on, the
  filters above registered) and the paper card (``templates/_card.html``).
"""
