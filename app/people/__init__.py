"""People: the peer specialists whose certifications peer-ce tracks (minimal personal data)."""
