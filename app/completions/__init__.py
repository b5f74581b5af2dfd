"""Completion tracking: rosters, self-reports, transcripts and certificates."""
