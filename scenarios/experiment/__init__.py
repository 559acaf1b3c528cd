"""Running scenarios: replications on executors with t-intervals, results directories, back-tests."""
