"""HTTP routes of the customers service, one module per resource."""
