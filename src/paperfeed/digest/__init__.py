"""Email digests: subscriptions (confirmed by a mailed link), what a digest holds for a
subscription and a period, the outbox that sends each digest once, and the worker that
runs it all on a schedule. Mail itself goes through :mod:`paperfeed.mail`."""
