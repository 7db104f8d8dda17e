"""lifecircle's planning engine.

Importing the package imports nothing heavy, so that ``lifecircle --help`` starts at once.
The greedy heuristic joins the solver registry as ``greedy`` (:mod:`optimizer.greedy_backend`)
through the ``lifecircle.solvers`` entry point, whenever :mod:`solvers` is imported.
"""
