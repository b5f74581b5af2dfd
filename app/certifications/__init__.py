"""Certification records, board actions, compliance and public verification."""
