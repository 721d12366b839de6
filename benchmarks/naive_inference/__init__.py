"""The original way of serving, for comparison: a pandas DataFrame and sklearn predict per request."""
