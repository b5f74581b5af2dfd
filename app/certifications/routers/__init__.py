"""The certification routes, one module per use case (mounted in app/api.py, the compliance read first):

- `compliance`: `GET /certifications/{id}/compliance`, the hot read (a router of its own);
- `records`: registering, listing, importing, exporting and correcting certifications, their activities,
  board actions, what-if simulation and history;
- `me`: the calling peer's certifications;
- `verify`: the public number check.
"""
