"""Runners: how a claimed execution is run (base: the registry and its types;
process: one action process; io: parameter formats and output parsing)."""
