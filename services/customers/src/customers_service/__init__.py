"""SpendScore customers service: store owners' customers, their prediction history, dashboard and CSV."""
