"""The mail worker: delivering the outbox over SMTP, at least once, with backoff."""
