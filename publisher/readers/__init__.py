"""Readers: one module per input format, each turning bytes into `Record`s.

Formats are registered in `registry.py` and nowhere else.
"""
