"""The catalog routes, one module per resource; each has a public router (no token needed; a token widens
what it shows) and, where it writes, an authenticated one (mounted in app/api.py):

- `topics`: the topic taxonomy;
- `providers`: providers, and their courses by id (upsert one, upload many);
- `courses`: the catalog search, one course, retiring it, and its board approvals.
"""
