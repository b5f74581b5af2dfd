"""The scheduler's routes, one module per use case (mounted in app/api.py): `sweeps` (run one now, read the
runs), `flags` (what the sweeps raised), `webhooks` (subscriptions and their deliveries)."""
