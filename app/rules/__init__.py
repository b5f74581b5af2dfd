"""State CE rules as data: the rule-set schema, its loader, and the pure compliance engine."""
