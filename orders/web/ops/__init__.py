"""What an operator needs: health and readiness checks, metrics, request logs, and failed mail."""
