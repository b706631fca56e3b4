"""Tests of the BibTeX, RIS, CSL-JSON and JSON Lines exports."""
