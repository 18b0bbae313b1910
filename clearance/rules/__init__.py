"""Model and rules: the catalogue, actors, marking rules, text, the student's view. No I/O of the store, no UI."""
