"""The compliance scheduler: the sweep (flags, renewals), notifications (outbox, webhooks, email), APScheduler."""
