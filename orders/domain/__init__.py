"""The rules: models, reach, decisions, transitions, audit, outbox and one module per capability. Knows no request."""
