"""Everything the site sends by mail goes through this package: :mod:`.addresses` checks
and normalizes the addresses people type (no DNS look-ups), :mod:`.message` builds
RFC 5322 messages whose headers cannot be injected into and whose HTML carries no
scripts, remote images or tracking pixels, and :mod:`.transport` delivers them over
one reused SMTP connection (or into a Maildir for the demo), sorting every failure
into "retry later", "permanent" and "may have been delivered: never resend".
"""
