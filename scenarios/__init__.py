"""Scenario files, experiments and the command line: the floor that touches all others.

`format/` reads scenario files into models, `experiment/` runs them and writes results, `cli/` is
the `helpdesk-sim` command.
"""
