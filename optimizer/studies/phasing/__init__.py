"""Multi-year phasing (年度项目清单): which projects open in which year.

``lifecircle plan SCENARIO --years 2026-2028`` plans a horizon of years with a budget
per year: a project opens in one year and serves from then on, and people covered
earlier count more. The pieces, each a module:

- :mod:`optimizer.studies.phasing.horizon`: the years, their budgets and weights, and from which
  year each site is available (scenario and inputs read together);
- :mod:`optimizer.studies.phasing.model`: the multi-year model, built from the single-year
  model's arrays (one block per year plus linking rows);
- :mod:`optimizer.studies.phasing.plan`: the solver's values read back into the annual project
  list and per-year figures;
- :mod:`optimizer.studies.phasing.check`: every year recomputed from the projects themselves;
- :mod:`optimizer.studies.phasing.run`: the steps together (no files written).
"""
