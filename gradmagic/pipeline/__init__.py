"""The pipeline: capture each ``fit``, gather its evidence, run the rules, write the report."""
