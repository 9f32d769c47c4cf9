"""`make faults`: the load test while dependencies fail, one case after another
(docs/operations.md, "Faults")."""
