"""lifecircle's planning engine.

Importing the package registers the greedy heuristic as the solver backend ``greedy``
(:mod:`optimizer.greedy_backend`), beside the matrix solvers of :mod:`solvers`.
"""
from optimizer.greedy_backend import register as _register_greedy

_register_greedy()
