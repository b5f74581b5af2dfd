"""The compliance read model: every fact the rule engine needs, read in one place, as named, typed rows.

A compliance check (the API's hottest read), the sweep, the writes that refresh a stored status,
transcripts and impact previews all read the same facts with the same plan (`facts`), so they always
agree. Modules, by use case:

- `rows`: the typed rows each query returns (certifications, completions, course topics and approvals,
  rule versions, board actions, activities, recorded renewals), declared once with their columns;
- `queries`: the hot-path queries (SQLAlchemy Core, compiled once; `app.reads`);
- `courses`, `versions`: the per-process caches of course facts and parsed rule versions, each validated
  by a token read in the same query as the facts that use it;
- `facts`: the read plans (`gather_plan`, `one_plan`, `inputs_plan`) and the engine's inputs they build;
- `status`: the one writer of the cached status columns (`certification.status`, the cycle dates, ...);
- `dirty`: marking certifications for the next sweep, for every domain whose writes can move a status
  (so `rules` and `catalog` never import `certifications`).

It imports tables and the pure engine, never a service.
"""
