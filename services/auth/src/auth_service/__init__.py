"""SpendScore auth service: users, roles, 2-hour JWTs and the JWKS that verifies them."""
