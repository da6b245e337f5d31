"""Validation: every record graph is checked against the SHACL shapes before it is stored."""
