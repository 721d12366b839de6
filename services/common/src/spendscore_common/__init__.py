"""What every SpendScore service shares: settings base, JSON logs with request ids, health, tokens."""
