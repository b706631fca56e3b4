"""`paperfeed worker`: the scheduled jobs (harvest after arXiv's announcement, then
bring what depends on new papers up to date; build and send the digests at their hour),
run by one worker at a time."""
