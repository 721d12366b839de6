"""SpendScore inference service: the spending-score model, trained reproducibly, served statelessly."""
