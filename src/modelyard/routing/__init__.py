"""Traffic strategies' pure logic: picking an arm, judging a canary step, re-weighing a
bandit, comparing answers, and the statistics a rollout's status reports.

Nothing here does I/O, holds a lock or needs more than numpy: the server calls these on the
request path (picking) and once per tick (judging), the CLI to print a status.
"""
