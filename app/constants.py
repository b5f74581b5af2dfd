"""Constants shared across domains."""

from __future__ import annotations

# The board time zone when none is known: a rule set's default (`RuleSet.timezone`), the catalog's "today",
# and "today" where no credential's rules are loaded yet (an empty database, the demo).
DEFAULT_TIMEZONE = "America/New_York"
