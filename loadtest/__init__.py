"""`make load`: simulated store owners against a local stack, with a lost-write check afterwards."""
