"""Studies built on the pipeline: they run it (or read its runs) to answer a larger question.

- :mod:`~optimizer.studies.frontier`: coverage against budget, every point proven or not;
- :mod:`~optimizer.studies.comparison`: one scenario, many solvers (objective, bound, gap, time);
- :mod:`~optimizer.studies.phasing`: the annual project lists of a multi-year plan;
- :mod:`~optimizer.studies.decomposition`, :mod:`~optimizer.studies.city`: a whole city in pieces;
- :mod:`~optimizer.studies.assessment`, :mod:`~optimizer.studies.grades`: what every life circle has, lacks
  and adds, and the five-colour cards (五色卡) of every graded level unit;
- :mod:`~optimizer.studies.run_diff`: what changed between two runs;
- :mod:`~optimizer.studies.export`, :mod:`~optimizer.studies.external`: the model for another
  solver, and that solver's answer checked against every rule;
- :mod:`~optimizer.studies.plain_coverage`: textbook covering problems (MCLP, set cover).

(How much a straight-line buffer map overstates reach is measured in every run, so it is a
pipeline step: :mod:`optimizer.walk_vs_buffer`.)
"""
