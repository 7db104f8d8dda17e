"""The planning model: inputs + reach + scenario -> one sparse MILP, one module per rule family.

:func:`optimizer.model.build.build_model` assembles it in this order:

- :mod:`~optimizer.model.decisions` (with :mod:`~optimizer.rules.eligibility`): which function
  each site may host; forced decisions (rule 8) as bounds;
- :mod:`~optimizer.model.candidates`: the candidate (site, function) pairs and the demand rows
  they reach, dropping (exactly) the pairs that reach nobody new;
- :mod:`~optimizer.model.variables`: every variable block (``x``, ``o``, ``z``, ``y``, ``a``,
  ``w``, ``sc``, ``sa``, ``n``, ``q``, ``slack``), what it means, its bounds;
- one ``define_*`` per rule family, each returning its rows (:class:`~optimizer.model.blocks.RowBlock`):
  :mod:`~optimizer.model.coverage` (who is newly covered), :mod:`~optimizer.model.capacity`
  (rule 4), :mod:`~optimizer.model.conversion` (a function only at a converted site),
  :mod:`~optimizer.model.sharing` (rule 5), :mod:`~optimizer.model.space` (rule 2),
  :mod:`~optimizer.model.budget` (rule 1), :mod:`~optimizer.model.not_built_separately`
  (rule 6), :mod:`~optimizer.model.requirements` (rule 7);
- :mod:`~optimizer.model.objective`: most weighted people covered, least cost, or least shortfall.

:mod:`~optimizer.model.budget_space` holds the cost and area coefficients (rules 1, 2, 5) and
:mod:`~optimizer.model.site_terms` each site's cost and area in the model's variables,
:mod:`~optimizer.model.strengthen` the cuts added at the root, :mod:`~optimizer.model.size_caps`
the capacitated areas capped by what a site holds and a walk can fill (in the solved problem only),
:mod:`~optimizer.model.diagnose`
the checks that explain an impossible scenario before any solve. The rules in plain words
live in :mod:`optimizer.rules`; ``docs/model.md`` states them.
"""
