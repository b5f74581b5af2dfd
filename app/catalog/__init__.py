"""The booster course catalog: topics, providers, courses, board approvals, search and bulk upload."""
