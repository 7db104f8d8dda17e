"""What a plan is read and checked against: the scenario, its inputs, reach, forced decisions, existing service.

The pipeline's :class:`~optimizer.pipeline.ModelSetup` and :class:`~optimizer.pipeline.Run` hold
these and hand them out as one :class:`PlanningContext` (``setup.context``), so that reading a plan
back (:mod:`optimizer.plan`) and the independent check (:mod:`optimizer.check`) take one bundle
instead of six loose arguments.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from optimizer.inputs.types import Inputs
from optimizer.model.decisions import ForcedDecisions
from optimizer.reach.types import Reach
from optimizer.rules.existing import ExistingService
from optimizer.scenario import Scenario


@dataclass(frozen=True)
class PlanningContext:
    """The facts a plan is judged against.

    Attributes
    ----------
    scenario
        The scenario (functions, budget, rules).
    inputs
        The validated inputs (demand, sites, running facilities).
    reach_sites
        Walking times from each demand unit to each candidate site.
    reach_facilities
        Walking times from each demand unit to each running facility.
    forced
        The forced decisions (sites and functions that must or must not be used).
    existing
        What running facilities serve.
    """

    scenario: Scenario
    inputs: Inputs
    reach_sites: Reach
    reach_facilities: Reach
    forced: ForcedDecisions
    existing: ExistingService

    @classmethod
    def of(cls, holder: object) -> PlanningContext:
        """The context held by ``holder`` (a model setup or a run: anything with these six attributes)."""
        return cls(**{f.name: getattr(holder, f.name) for f in dataclasses.fields(cls)})

    def for_scenario(self, scenario: Scenario) -> PlanningContext:
        """The same context under another scenario (e.g. other solver settings; the same inputs and reach)."""
        return dataclasses.replace(self, scenario=scenario)
