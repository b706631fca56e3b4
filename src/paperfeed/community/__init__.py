"""Community actions: submitting, voting, commenting, reporting and moderating.

Every function takes an open ORM session in a write transaction
(``storage.engine.write_session``) and keeps the paper's counters and trending key in
step with the rows inside that same transaction (:mod:`paperfeed.community.counts`)."""
