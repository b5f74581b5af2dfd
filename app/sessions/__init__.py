"""Course sessions: when and where a provider's course is held, searchable, and as iCalendar feeds."""
