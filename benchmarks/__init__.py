"""Benchmarks: one command each, generating their own data and printing figures.

``python -m benchmarks`` lists them; ``python -m benchmarks NAME [ARGS]`` runs one;
``python -m benchmarks all`` runs every one with its defaults.
"""
