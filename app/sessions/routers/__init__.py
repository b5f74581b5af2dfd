"""Session routes by resource: a course's sessions, one session, a provider's feed."""
