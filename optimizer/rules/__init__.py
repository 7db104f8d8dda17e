"""The planning rules in plain words, one module per rule, shared by the model, the check and the studies.

- :mod:`~optimizer.rules.costing`: what a site's conversion and a function cost, and the
  space they take (rules 1, 2 and 5's sharing savings);
- :mod:`~optimizer.rules.covered`: who counts as covered by a facility (the walking
  threshold of each function);
- :mod:`~optimizer.rules.existing`: what running facilities already serve (rule 3; rule 4
  in capacitated mode);
- :mod:`~optimizer.rules.together`: 能合用的不单建, functions of a sharing group newly
  provided in one life circle share a site (rule 6);
- :mod:`~optimizer.rules.requirements`: what must exist in each life circle (rule 7), also
  by circle type (standards);
- :mod:`~optimizer.rules.priorities`: what one newly covered person counts under each
  objective (share, fair, people);
- :mod:`~optimizer.rules.fairness`: each circle's covered share, the worst circle, the spread
  (人均平衡).
- :mod:`~optimizer.rules.requests`: residents' requests (市场需求一本账) add to the people the
  functions asked for count, where they were asked for;
- :mod:`~optimizer.rules.eligibility`: which site may host which function (rule 2's kinds,
  floors, flags and a site's ``allowed_functions``);
- :mod:`~optimizer.rules.money`: running costs, rent, who pays (政府补、社区担、企业让、居民付),
  the horizon and the funding channels;
- :mod:`~optimizer.rules.complexes`: multi-function complexes (渝邻汇) and their savings;
- :mod:`~optimizer.rules.shared_parking`: garages shared off-hours (错时共享停车) join the sites.

The model (:mod:`optimizer.model`) states these rules as rows; the independent check
(:mod:`optimizer.check`) recomputes them from the chosen sites with the same modules.
"""
