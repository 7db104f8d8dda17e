"""Scenarios: typed, closed configuration read from YAML.

A scenario file names the inputs, the functions to plan, the budget, the objective,
the solver and where results go. ``extends:`` builds a what-if on top of a base file
(mappings merge key by key; lists and values replace), and ``--set a.b.c=value``
overrides single keys from the command line. Built-in defaults
(``optimizer/defaults/functions.yaml``, sourced in ``../shared/docs/domain.md``) sit
underneath everything. Unknown keys are errors that name their full path.
"""
from __future__ import annotations

import copy
import dataclasses
import datetime
import functools
import math
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from optimizer import yaml_bounded
from optimizer.errors import ScenarioError
from optimizer.grading import DEFAULT_GRADING, GradingRule, grading_problems
from optimizer.inputs.schema import CONVERSION_KINDS, SHARED_GARAGE, SITE_KINDS, InputsSpec, LayerSpec

DEFAULTS_FILE = Path(__file__).parent / "defaults" / "functions.yaml"
#: Built-in tables of what each circle type must have (``standards: <name>``).
STANDARDS_FILE = Path(__file__).parent / "defaults" / "standards.yaml"
#: What a plan maximises (or minimises). ``share``: the sum over functions of the share of
#: each function's cohort newly covered (percentage points) times the function's
#: priority; ``people``: weighted people newly covered; ``fair``: first the worst circle's
#: covered share, then the total share (lexicographic); ``least_cost``: the least one-off
#: cost that meets every requirement.
OBJECTIVES = ("share", "fair", "people", "least_cost")
#: Objectives that maximise coverage (the model's ``max_coverage`` family).
COVERAGE_OBJECTIVES = ("share", "fair", "people")
#: Former names of objectives, still read.
OBJECTIVE_ALIASES = {"max_coverage": "people"}
#: The walking levels of GB 50180-2018 (5-, 10- and 15-minute life circles) a function's
#: ``threshold_min`` may name instead of minutes.
LEVELS: dict[str, float] = {"5-minute": 5.0, "10-minute": 10.0, "15-minute": 15.0,
                            "5分钟": 5.0, "10分钟": 10.0, "15分钟": 15.0}
MODES = ("coverage", "capacitated")
#: The ``solver.name`` that lets :func:`optimizer.solver_choice.choose_solver` pick the backend.
AUTO = "auto"
REACH_METHODS = ("network", "straight_line", "od_table")
SITE_FLAGS = ("parking_allowed",)
#: The function a shared garage offers (错时共享停车), and the only one it may take.
SHARED_PARKING_FUNCTION = "parking"


# --------------------------------------------------------------------------- types
@dataclass(frozen=True)
class SizeSpec:
    """Facility size in m2: built at ``standard_m2`` in coverage mode."""

    min_m2: float
    standard_m2: float
    max_m2: float


@dataclass(frozen=True)
class CostSpec:
    """One-off cost of a function at a site: ``fixed + per_m2 * area``."""

    per_m2: float
    fixed: float = 0.0


@dataclass(frozen=True)
class EligibilityRule:
    """Sites matching every field of a rule may host the function.

    A function's ``eligible`` list is a list of alternatives: any one rule suffices.
    ``floor_min``/``floor_max`` bound the site's ``lowest_floor`` (1 = ground floor;
    0 and below = basement); ``requires`` names boolean site columns that must be true.
    ``kinds`` defaults to the converted kinds (building, plot, existing_host): a shared
    garage is named only by parking's own rule.
    """

    kinds: tuple[str, ...] = CONVERSION_KINDS
    floor_min: int | None = None
    floor_max: int | None = None
    requires: tuple[str, ...] = ()
    min_area_m2: float | None = None


@dataclass(frozen=True)
class CapacityDemandSpec:
    """Places (capacity units) demanded per 1,000 people of cohort ``of`` (capacitated mode, rule 4).

    In capacitated mode a function counts people of ``of`` served: a place serves
    ``1000 / per_1000`` of them (e.g. childcare: 4.5 places per 1,000 residents, so a
    place covers the need of about 222 residents).
    """

    per_1000: float
    of: str


#: Who pays (seed 001: "政府补、社区担、企业让、居民付"): government subsidises, the community
#: shoulders, enterprises concede, residents pay.
PAYERS = ("government", "community", "enterprise", "residents")


@dataclass(frozen=True)
class PaidBy:
    """Shares of a cost paid by each payer (seed 001: "政府补、社区担、企业让、居民付"); they sum to 1."""

    government: float = 1.0
    community: float = 0.0
    enterprise: float = 0.0
    residents: float = 0.0

    def share(self, payer: str) -> float:
        """The share paid by ``payer`` (one of :data:`PAYERS`)."""
        return float(getattr(self, payer))


@dataclass(frozen=True)
class RunningCostSpec:
    """Yearly running cost of a function at a site: ``fixed_per_year + per_m2_year * area`` (yuan).

    Staff, utilities, food subsidies, upkeep: what keeps a canteen running (seed 003:
    "完善老年食堂可持续运营机制"). Rent is separate (``money.rent``).
    """

    fixed_per_year: float = 0.0
    per_m2_year: float = 0.0


@dataclass(frozen=True)
class FunctionSpec:
    """A service to place: whom it serves, how far they walk, its size, cost and rules.

    ``threshold_min`` is minutes of walking, or the name of a GB 50180-2018 level
    (``5-minute``, ``10-minute``, ``15-minute``), kept in ``level``. ``priority`` weighs the
    function's newly covered share in objectives ``share`` and ``fair``; ``weight`` weighs
    each person in objective ``people`` (and is derived from the priority otherwise).
    ``running``: its yearly running cost; ``running_paid_by``: who pays it (default
    ``money.running_paid_by``).
    """

    cohort: str
    threshold_min: float
    walk_speed_mps: float
    area_per_unit_m2: float
    size: SizeSpec
    cost: CostSpec
    eligible: tuple[EligibilityRule, ...]
    capacity_demand: CapacityDemandSpec | None = None
    weight: float = 1.0
    priority: float = 1.0
    threshold_basis: str = ""
    unit_name: str = "unit"
    label_zh: str = ""
    enabled: bool = True
    level: str = ""
    running: RunningCostSpec = RunningCostSpec()
    running_paid_by: PaidBy | None = None

    @property
    def standard_capacity(self) -> float:
        """Capacity of a standard-size facility, in the function's units."""
        return self.size.standard_m2 / self.area_per_unit_m2

    def counted_cohort(self, mode: str) -> str:
        """The cohort whose people are counted: ``cohort`` (coverage) or ``capacity_demand.of``."""
        if mode == "capacitated" and self.capacity_demand is not None:
            return self.capacity_demand.of
        return self.cohort

    @property
    def people_per_place(self) -> float:
        """People of ``capacity_demand.of`` whose need one place meets (capacitated mode)."""
        if self.capacity_demand is None:
            return 1.0
        return 1000.0 / self.capacity_demand.per_1000


@dataclass(frozen=True)
class SiteKindSpec:
    """Per-kind cost settings: conversion cost paid once per site, and a fit-out factor."""

    fixed_cost: float
    cost_factor: float = 1.0


@dataclass(frozen=True)
class SharingGroup:
    """Functions that share support space when on one site (rule 5)."""

    name: str
    functions: tuple[str, ...]
    area_saving: float = 0.0
    cost_saving: float = 0.0


@dataclass(frozen=True)
class SharingSpec:
    """Compatible groups; a site's fixed conversion cost is always paid once (rule 5).

    ``not_built_separately`` (不单建, rule 6): inside one life circle, when two functions
    of a group are both newly provided, at least one site hosts them together, unless
    no site of that circle is eligible for both.
    """

    groups: tuple[SharingGroup, ...] = ()
    not_built_separately: bool = False


#: The functions the national guideline on embedded community service complexes (2024)
#: asks a complex to hold at least two of: elder care, infant care, after-school care, meals
#: (domain.md: ">=600 m2, >=3 functions, >=2 of elder care, infant care, after-school care, meals").
GUIDELINE_CORE = ("elder_care", "childcare", "after_school", "canteen")
#: The least number of functions a complex bundles, by the same guideline.
GUIDELINE_MIN_FUNCTIONS = 3


@dataclass(frozen=True)
class ComplexSpec:
    """A type of multi-function complex (e.g. 渝邻汇): several functions on one site, one decision, one saving.

    A site hosts a complex of this type when it holds at least ``min_functions`` of
    ``functions``, at least ``min_core`` of ``core``, the complex's floor area (its functions'
    areas, less the sharing savings of groups made only of its functions, less
    ``area_saving_m2``) is at least ``min_area_m2``, and its kind is one of ``kinds``. The
    complex then saves ``saving_yuan`` once (shared entrance, kitchen, toilets, staff
    rooms) and ``area_saving_m2`` of area. ``core`` defaults to the guideline's elder care,
    childcare, after-school care and canteen among ``functions``
    (:attr:`core_functions`).
    """

    name: str
    functions: tuple[str, ...]
    core: tuple[str, ...] | None = None
    min_functions: int = GUIDELINE_MIN_FUNCTIONS
    min_core: int = 2
    min_area_m2: float = 600.0
    kinds: tuple[str, ...] = SITE_KINDS
    saving_yuan: float = 0.0
    area_saving_m2: float = 0.0
    basis: str = ""

    @property
    def core_functions(self) -> tuple[str, ...]:
        """The core functions: ``core`` when given, else the guideline's among ``functions``."""
        if self.core is not None:
            return self.core
        return tuple(f for f in self.functions if f in GUIDELINE_CORE)


@dataclass(frozen=True)
class Requirement:
    """What must exist (该有的不能少, rule 7), per life circle, for one function.

    Exactly one of ``min_share`` (share of the cohort covered, 0-1, counting running
    facilities) and ``min_per_1000`` (capacity in places per 1,000 residents of the
    circle, counting running facilities) is given. ``circles``: the life circles it
    applies to; empty for every circle. ``circle_types``: only the circles of these types
    (the ``type`` of ``inputs.circles``), as a circle type's standard sets them.
    """

    function: str
    min_share: float | None = None
    min_per_1000: float | None = None
    circles: tuple[str, ...] = ()
    circle_types: tuple[str, ...] = ()


@dataclass(frozen=True)
class StandardItem:
    """One line of a circle type's standard (what it must have, rule 7 by type)."""

    function: str
    min_share: float | None = None
    min_per_1000: float | None = None
    basis: str = ""


@dataclass(frozen=True)
class BudgetSpec:
    """Money available (rule 1), in yuan.

    ``total`` and ``by_district`` bound the one-off spending of every payer together. The
    public (government) share may be bounded too (see ``money``): ``public_one_off`` (the
    government's share of the one-off cost), ``public_yearly`` (its yearly subsidy of running
    costs and rent) and ``public_horizon`` (one-off plus the discounted yearly subsidy over
    ``money.horizon_years``).
    """

    total: float | None = None
    by_district: dict[str, float] = field(default_factory=dict)
    public_one_off: float | None = None
    public_yearly: float | None = None
    public_horizon: float | None = None

    @property
    def bounds_public_money(self) -> bool:
        """A public (government) amount is bounded."""
        return any(v is not None for v in (self.public_one_off, self.public_yearly, self.public_horizon))


@dataclass(frozen=True)
class RentSpec:
    """Yearly rent of the space a plan uses, yuan per m2 of area in use.

    Sites whose ``owner`` is in ``free_owners`` pay none: state-owned idle assets are offered
    rent-free (seed 003: "推动将国有闲置资源提升改造为养老场所", "政府提供优惠场地降成本"; seed 002:
    "以场地免租、契约共建等方式"). A site's own ``rent_per_m2_year`` wins over both.
    """

    per_m2_year: float = 0.0
    free_owners: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChannelSpec:
    """A funding channel of the government's one-off share, with its cap.

    Seed 003: "统筹中央预算内投资和地方政府专项债券等资金渠道" (central budget investment, local
    government special bonds and other channels).

    ``functions``: the functions whose projects it may fund (empty: any project, including
    the sites' conversion works); ``cap``: yuan, ``None`` for no cap.
    """

    name: str
    cap: float | None = None
    functions: tuple[str, ...] = ()


@dataclass(frozen=True)
class MoneySpec:
    """Running costs, the planning horizon and who pays (政府补、社区担、企业让、居民付, seed 001).

    ``horizon_years`` and ``discount_rate``: a yuan paid in year t (1..horizon) of operation
    counts ``1 / (1 + discount_rate) ** t`` today. ``one_off_paid_by``: shares of every
    project's one-off cost; ``running_paid_by``: shares of running costs and rent (a
    function's own ``running_paid_by`` wins). ``channels``: when given, the government's
    one-off share must be funded by them within their caps.
    """

    horizon_years: int = 10
    discount_rate: float = 0.0
    rent: RentSpec = RentSpec()
    one_off_paid_by: PaidBy = PaidBy()
    running_paid_by: PaidBy = PaidBy()
    channels: tuple[ChannelSpec, ...] = ()


@dataclass(frozen=True)
class ReachSpec:
    """How walking times are obtained.

    ``method``: ``network`` (default when a network is given), ``straight_line``
    (distance x ``detour_factor``: the weaker method) or ``od_table``.

    ``missing_elevation``: what to do when ``inputs.elevation`` (a DEM) leaves network
    nodes without an elevation: ``error`` (default: say how many, write nothing) or
    ``flat`` (walk the edges touching them as flat, stated in the run's notes).
    ``cache``: reuse network reach from ``cache_folder`` (default
    ``<output.folder>/.reach-cache``) when the network, the points and every parameter
    that affects reach are unchanged.
    """

    method: str | None = None
    detour_factor: float = 1.3
    max_snap_m: float = 500.0
    stairs_up_factor: float = 0.35
    stairs_down_factor: float = 0.5
    slope: bool = True
    od_speed_mps: float = 1.0
    missing_elevation: str = "error"
    cache: bool = True
    cache_folder: str | None = None


@dataclass(frozen=True)
class DecisionsSpec:
    """Forced decisions (rule 8): ``SITE`` or ``SITE:function`` entries."""

    force_in: tuple[str, ...] = ()
    force_out: tuple[str, ...] = ()


@dataclass(frozen=True)
class SolverSpec:
    """Solver and its options. ``relative_gap: 0`` asks for a proven optimum.

    ``name: greedy`` plans with the heuristic of :mod:`optimizer.greedy` (coverage mode,
    max_coverage; bound from the LP relaxation); ``warm_start: greedy`` hands its plan to
    the exact solver as a start.
    """

    name: str = "highs"
    time_limit_s: float = 120.0
    relative_gap: float = 0.0
    threads: int | None = None
    seed: int = 0
    log: bool = False
    warm_start: str = "none"


@dataclass(frozen=True)
class ModelSpec:
    """Model reductions and tie-breaking.

    ``aggregate_demand`` merges demand units with identical coverage patterns.
    ``drop_redundant`` removes, after solving, facilities that cover nobody who is not
    covered by another chosen facility (coverage unchanged, money saved).
    ``ineligible_sites``: ``error`` (a site eligible for no enabled function is an input
    problem) or ``ignore`` (listed as a warning, left out).
    ``mode``: ``coverage`` (facilities at standard size; covered = within reach) or
    ``capacitated`` (rule 4: sizes decided, covered = served within reach and capacity).
    """

    aggregate_demand: bool = True
    drop_redundant: bool = True
    ineligible_sites: str = "error"
    mode: str = "coverage"


@dataclass(frozen=True)
class PhasingSpec:
    """Multi-year phasing (年度项目清单), used by ``lifecircle plan --years``.

    ``budgets``: yuan per year (``{2026: 3.0e7, ...}``); a year of the horizon without
    one gets ``budget.total / number of years`` (noted in the output). ``discount_rate``
    r weighs the people covered in year t by ``1 / (1 + r) ** (t - first year)``.
    ``carry_over``: unspent money of a year may be spent in later years.
    ``available_from``: ``{site_id: year}``, overriding the sites' ``available_from``
    column (the first year a site can open).
    ``milestones``: ``{year: number of life circles}`` that must reach their standard
    (every rule-7 requirement target of the circle met) by the end of that year.
    ``start_plan``: search a start plan before the multi-year solve (each year alone, the
    year-by-year plan, and their sites phased exactly), within the time limit (none below
    30 s). On by default: on the three-year demo at 300 s it gave the optimum, 252.7352,
    where HiGHS alone keeps 252.5541, in both pairs of runs at load 0.5-3.5 (under heavy
    load, 3.2-6, it cost slightly more than it gave).
    """

    budgets: dict[str, float] = field(default_factory=dict)
    discount_rate: float = 0.0
    carry_over: bool = False
    available_from: dict[str, int] = field(default_factory=dict)
    milestones: dict[str, int] = field(default_factory=dict)
    start_plan: bool = True


@dataclass(frozen=True)
class FairnessSpec:
    """How objective ``fair`` measures the worst life circle (人均平衡, seed 003).

    ``worst``: ``overall`` (default: the worst covered share over every circle and every
    function with a priority above 0: the worst-off circle and service first) or
    ``per_function`` (the sum over functions of priority x each function's worst circle's
    share). Stage 1 maximises it; stage 2 then maximises the total share without lowering
    it. ``per_function`` is much harder to prove: on the demo neither HiGHS nor SCIP closed
    its gap in 120-300 s, where ``overall`` is proven in seconds.
    """

    worst: str = "overall"


@dataclass(frozen=True)
class SharedParkingSpec:
    """Time-shared parking (错时共享停车, seed 003): garages of ``inputs.shared_garages``.

    ``min_hours``: a garage offering residents fewer hours a day (its ``hours`` windows)
    is not eligible and is listed in a warning. Night-only use is not modelled further:
    residents' parking demand is mostly overnight, so a garage open at least this long
    off-hours counts as a car park with exactly its places.
    """

    min_hours: float = 8.0


@dataclass(frozen=True)
class RequestsSpec:
    """How the market-demand ledger (市场需求一本账, ``inputs.requests``) counts.

    Each request row's ``count`` times ``weight`` (people per request) is added to the
    asked-for function's cohort in the row's community or circle
    (:mod:`optimizer.rules.requests`). ``since``: only requests dated on or after this
    day (``YYYY-MM-DD``; blank: every row). ``channels``: only requests gathered through
    these channels (e.g. ``[渝快办, 网格员走访]``; empty: every channel).
    """

    weight: float = 1.0
    since: str = ""
    channels: tuple[str, ...] = ()


@dataclass(frozen=True)
class OutputSpec:
    """Where results go: ``<folder>/<scenario name>/<run id>/``."""

    folder: str = "outputs"


@dataclass(frozen=True)
class Scenario:
    """A complete, resolved what-if scenario."""

    name: str
    inputs: InputsSpec
    functions: dict[str, FunctionSpec]
    site_kinds: dict[str, SiteKindSpec]
    sharing: SharingSpec
    budget: BudgetSpec
    reach: ReachSpec = ReachSpec()
    decisions: DecisionsSpec = DecisionsSpec()
    requirements: tuple[Requirement, ...] = ()
    objective: str = "share"
    solver: SolverSpec = SolverSpec()
    model: ModelSpec = ModelSpec()
    output: OutputSpec = OutputSpec()
    phasing: PhasingSpec = PhasingSpec()
    grading: tuple[GradingRule, ...] = DEFAULT_GRADING
    fairness: FairnessSpec = FairnessSpec()
    shared_parking: SharedParkingSpec = SharedParkingSpec()
    requests: RequestsSpec = RequestsSpec()
    standards: dict[str, tuple[StandardItem, ...]] = field(default_factory=dict)
    money: MoneySpec = MoneySpec()
    complexes: tuple[ComplexSpec, ...] = ()
    description: str = ""
    #: the description in Chinese (``description`` then holds the English, or whichever language is given)
    description_zh: str = ""
    source: str = ""
    disabled_functions: tuple[str, ...] = ()
    resolved: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def function_names(self) -> list[str]:
        """Planned functions, in a fixed order."""
        return list(self.functions)

    @property
    def maximises_coverage(self) -> bool:
        """The objective maximises coverage (``share``, ``fair`` or ``people``)."""
        return self.objective in COVERAGE_OBJECTIVES

    @property
    def model_objective(self) -> str:
        """The planning model's objective: ``max_coverage`` for every coverage objective, else ``least_cost``."""
        return "max_coverage" if self.maximises_coverage else self.objective

    @property
    def reach_method(self) -> str:
        """The reach method in force (explicit, else network when given, else straight line)."""
        if self.reach.method:
            return self.reach.method
        if self.inputs.network is not None:
            return "network"
        if self.inputs.od_table is not None:
            return "od_table"
        return "straight_line"


# ------------------------------------------------------------------ raw YAML handling
def deep_merge(base: dict, override: dict) -> dict:
    """Merge ``override`` into a copy of ``base``: mappings key by key, all else replaced."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _resolve_paths(raw: dict, folder: Path) -> None:
    """Make ``inputs.*.path`` absolute relative to the file that states them."""
    inputs = raw.get("inputs")
    if not isinstance(inputs, dict):
        return
    for key, value in list(inputs.items()):
        if isinstance(value, str) and key != "crs":
            value = inputs[key] = {"path": value}
        if isinstance(value, dict) and isinstance(value.get("path"), str):
            p = Path(value["path"]).expanduser()
            value["path"] = str(p if p.is_absolute() else (folder / p).resolve())


def read_raw(path: Path, _seen: tuple[Path, ...] = ()) -> dict:
    """Read a scenario file and everything it ``extends``, merged, paths resolved."""
    path = Path(path).resolve()
    if path in _seen:
        chain = " -> ".join(p.name for p in (*_seen, path))
        raise ScenarioError([f"extends: cycle {chain}"], source=str(path))
    if not path.is_file():
        raise ScenarioError([f"file not found: {path}"], source=str(path))
    try:
        raw = yaml_bounded.load_file(path)
    except (yaml.YAMLError, yaml_bounded.YamlTooLarge) as exc:
        raise ScenarioError([yaml_bounded.problem_text(exc)], source=str(path)) from None
    except UnicodeDecodeError as exc:
        raise ScenarioError([f"not UTF-8 text (byte {exc.start}); save the file as UTF-8"], source=str(path)) from None
    except OSError as exc:
        raise ScenarioError([f"cannot be read: {exc.strerror or exc}"], source=str(path)) from None
    if raw is None:
        raise ScenarioError(["the file is empty: a scenario needs at least inputs (demand, sites) and a budget"],
                            source=str(path))
    if not isinstance(raw, dict):
        raise ScenarioError([f"the file must hold a mapping of keys (inputs:, budget:, ...), not a "
                             f"{_kind(raw)}"], source=str(path))
    _resolve_paths(raw, path.parent)
    parent = raw.pop("extends", None)
    raw.setdefault("name", path.stem)
    if parent is None:
        return raw
    if not isinstance(parent, str):
        raise ScenarioError(["extends: must be a file path"], source=str(path))
    base_path = Path(parent) if Path(parent).is_absolute() else path.parent / parent
    base = read_raw(base_path, (*_seen, path))
    base.pop("name", None)
    base.pop("description", None)
    base.pop("description_zh", None)
    return deep_merge(base, raw)


def apply_overrides(raw: dict, overrides: list[str] | tuple[str, ...]) -> dict:
    """Apply ``a.b.c=value`` overrides (value parsed as YAML) to a copy of ``raw``."""
    out = copy.deepcopy(raw)
    problems = []
    for item in overrides:
        if "=" not in item:
            problems.append(f"--set {item!r}: expected path.to.key=value")
            continue
        key, value_text = item.split("=", 1)
        parts = [p for p in key.strip().split(".") if p]
        if not parts:
            problems.append(f"--set {item!r}: empty key")
            continue
        try:
            value = yaml_bounded.load_text(value_text)
        except yaml.YAMLError:
            value = value_text
        except yaml_bounded.YamlTooLarge as exc:
            problems.append(f"--set {key.strip()}: {exc}")
            continue
        node = out
        for i, part in enumerate(parts[:-1]):
            if node.get(part) is None:
                node[part] = {}
            elif not isinstance(node[part], dict):
                problems.append(f"--set {key.strip()}: {'.'.join(parts[:i + 1])} is a {_kind(node[part])}, "
                                "not a mapping of keys")
                break
            node = node[part]
        else:
            node[parts[-1]] = value
    if problems:
        raise ScenarioError(problems, source="--set")
    return out


# ------------------------------------------------------------ typed, closed parsing
def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", str(tp).replace("typing.", ""))


def _kind(value: Any) -> str:
    """What a YAML value is, in a planner's words (``list``, ``number``, ``text`` ...)."""
    if isinstance(value, dict):
        return "mapping"
    if isinstance(value, (list, tuple)):
        return "list"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "number"
    return "text" if isinstance(value, str) else type(value).__name__


def _shown(value: Any, width: int = 60) -> str:
    """``repr(value)`` cut to ``width`` characters: a problem never prints a whole (maybe huge) structure."""
    if isinstance(value, (dict, list, tuple)) and len(value) > 20:
        return f"a {_kind(value)} of {len(value)} entries"
    text = repr(value)
    return text if len(text) <= width else text[:width - 3] + "..."


def _parse(tp: Any, value: Any, path: str, problems: list[str]) -> Any:
    """Convert ``value`` to type ``tp``, recording problems with their key path."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _parse(inner[0], value, path, problems)
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            problems.append(f"{path}: expected a mapping, got {_shown(value)}")
            return None
        return _parse_dataclass(tp, value, path, problems)
    if origin is tuple:
        if value is None:
            return ()
        if isinstance(value, (str, dict)) or not isinstance(value, (list, tuple)):
            value = [value]
        return tuple(_parse(args[0], v, f"{path}[{i}]", problems) for i, v in enumerate(value))
    if origin is dict:
        if value is None:
            return {}
        if not isinstance(value, dict):
            problems.append(f"{path}: expected a mapping, got {_shown(value)}")
            return {}
        return {str(k): _parse(args[1], v, f"{path}.{k}", problems) for k, v in value.items()}
    if tp is bool:
        if isinstance(value, bool):
            return value
        problems.append(f"{path}: expected true or false, got {_shown(value)}")
        return False
    if tp in (int, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            try:
                value = float(value) if tp is float else int(value)
            except (TypeError, ValueError, OverflowError):
                problems.append(f"{path}: expected a number, got {_shown(value)}")
                return tp(0)
        try:
            float(value)
        except OverflowError:
            problems.append(f"{path}: expected a number of sensible size, got one of {len(str(value))} digits")
            return tp(0)
        if isinstance(value, float) and not math.isfinite(value):
            # NaN compares false with every bound and inf passes every lower one: no key means either
            problems.append(f"{path}: expected a finite number, got {value}")
            return tp(0)
        if tp is int and float(value) != int(value):
            problems.append(f"{path}: expected a whole number, got {_shown(value)}")
        return tp(value)
    if tp is str:
        if isinstance(value, (str, int, float, datetime.date)) and not isinstance(value, bool):  # YAML reads dates
            return str(value)
        problems.append(f"{path}: expected text, got {_shown(value)}")
        return ""
    if tp is Path:
        return Path(str(value))
    if tp is dict:
        return dict(value) if isinstance(value, dict) else {}
    raise TypeError(f"unsupported type {tp} at {path}")


@functools.cache
def _type_hints(cls: type) -> dict[str, Any]:
    """``typing.get_type_hints(cls)``, worked out once per class (it evaluates every annotation's text: about
    20 ms of each scenario read before; read-only)."""
    return typing.get_type_hints(cls)


def _parse_dataclass(cls: type, data: dict, path: str, problems: list[str]) -> Any:
    hints = _type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    allowed = [n for n in fields if n not in ("resolved",)]
    for key in data:
        if key not in allowed:
            problems.append(f"{path + '.' if path else ''}{key}: unknown key "
                            f"(allowed here: {', '.join(allowed)})")
    kwargs = {}
    for name, f in fields.items():
        sub = f"{path}.{name}" if path else name
        if name in data:
            kwargs[name] = _parse(hints[name], data[name], sub, problems)
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            problems.append(f"{sub}: required key is missing")
            kwargs[name] = None
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as exc:  # pragma: no cover - guarded by problems above
        problems.append(f"{path}: {exc}")
        return None


def _parse_layer(raw: Any, path: str, problems: list[str]) -> LayerSpec | None:
    if raw is None:
        return None
    if isinstance(raw, str):
        raw = {"path": raw}
    if not isinstance(raw, dict):
        problems.append(f"{path}: expected a file path or a mapping")
        return None
    allowed = ("path", "layer", "columns", "x", "y", "crs")
    for key in raw:
        if key not in allowed:
            problems.append(f"{path}.{key}: unknown key (allowed here: {', '.join(allowed)})")
    if "path" not in raw:
        problems.append(f"{path}.path: required key is missing")
        return None
    columns = raw.get("columns") or {}
    if not isinstance(columns, dict):
        problems.append(f"{path}.columns: expected a mapping canonical name -> file column")
        columns = {}
    return LayerSpec(path=Path(raw["path"]), layer=raw.get("layer"),
                     columns={str(k): str(v) for k, v in columns.items()},
                     x=raw.get("x"), y=raw.get("y"), crs=raw.get("crs"))


def _parse_inputs(raw: Any, problems: list[str]) -> InputsSpec | None:
    if not isinstance(raw, dict):
        problems.append("inputs: required mapping is missing (demand, sites, ...)")
        return None
    allowed = ("demand", "sites", "facilities", "network", "od_table", "elevation", "circles", "shared_garages",
               "requests", "crs")
    for key in raw:
        if key not in allowed:
            problems.append(f"inputs.{key}: unknown key (allowed here: {', '.join(allowed)})")
    layers = {k: _parse_layer(raw.get(k), f"inputs.{k}", problems) for k in allowed if k != "crs"}
    for req in ("demand", "sites"):
        if raw.get(req) is None:
            problems.append(f"inputs.{req}: required key is missing")
    if layers["demand"] is None or layers["sites"] is None:
        return None
    return InputsSpec(crs=raw.get("crs"), **layers)


def default_raw() -> dict:
    """The built-in defaults as a raw mapping (a fresh copy: callers may change it)."""
    return copy.deepcopy(_shipped_yaml(DEFAULTS_FILE))


@functools.lru_cache(maxsize=4)
def _shipped_yaml(path: Path) -> dict:
    """A YAML file shipped with the package, read once per process (it cannot change under a run)."""
    return yaml_bounded.load_file(path)


def parse_scenario(raw: dict, source: str = "scenario") -> Scenario:
    """Parse a merged raw mapping (defaults underneath) into a :class:`Scenario`."""
    problems: list[str] = []
    merged = deep_merge(default_raw(), raw)
    functions_raw = merged.get("functions") or {}
    if not isinstance(functions_raw, dict):
        problems.append(f"functions: expected a mapping of function name -> settings, got a {_kind(functions_raw)}")
        functions_raw = {}
    enabled_raw = {}
    disabled = []
    for fname, fraw in functions_raw.items():
        if not isinstance(fraw, dict):
            problems.append(f"functions.{fname}: expected a mapping")
            continue
        if fraw.get("enabled", True) is False:
            disabled.append(str(fname))
            continue
        own = (raw.get("functions") or {}).get(fname)
        if isinstance(own, dict) and "threshold_min" in own and "threshold_basis" not in own:
            fraw = {**fraw, "threshold_basis": "set by the scenario"}  # the default's basis no longer applies
        enabled_raw[fname] = _with_level(fraw, f"functions.{fname}", problems)
    sc_raw = {k: v for k, v in merged.items() if k not in ("inputs", "functions")}
    if isinstance(sc_raw.get("standards"), str):
        sc_raw["standards"] = _named_standards(sc_raw["standards"], problems)
    if isinstance(sc_raw.get("objective"), str) and sc_raw["objective"] in OBJECTIVE_ALIASES:
        sc_raw["objective"] = OBJECTIVE_ALIASES[sc_raw["objective"]]
    sc_raw["functions"] = enabled_raw
    inputs = _parse_inputs(merged.get("inputs"), problems)
    sc_raw["inputs"] = {}
    # parse everything but inputs through the generic closed parser
    hints = _type_hints(Scenario)
    fields = {f.name: f for f in dataclasses.fields(Scenario)}
    allowed = [n for n in fields if n not in ("resolved", "disabled_functions", "source")]
    values: dict[str, Any] = {}
    for key in sc_raw:
        if key not in allowed:
            problems.append(f"{key}: unknown key (allowed at top level: extends, {', '.join(allowed)})")
    for name, f in fields.items():
        if name in ("inputs", "resolved", "source", "disabled_functions"):
            continue
        if name in sc_raw:
            values[name] = _parse(hints[name], sc_raw[name], name, problems)
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            problems.append(f"{name}: required key is missing")
    if not problems:
        problems += _semantic_problems(values, tuple(disabled))
    if problems:
        raise ScenarioError(problems, source=source)
    values["requirements"] = tuple(values.get("requirements", ())) + standard_requirements(values.get("standards", {}))
    return Scenario(inputs=inputs, source=source, resolved=merged, disabled_functions=tuple(disabled), **values)


def _named_standards(name: str, problems: list[str]) -> dict:
    """A built-in table of standards by circle type (``standards: chongqing``)."""
    tables = copy.deepcopy(_shipped_yaml(STANDARDS_FILE))
    if name not in tables:
        problems.append(f"standards: unknown table {name!r} (built in: {', '.join(tables)}; or give a mapping "
                        "circle type -> list of {function, min_share or min_per_1000, basis})")
        return {}
    return tables[name]


def standard_requirements(standards: dict[str, tuple[StandardItem, ...]]) -> tuple[Requirement, ...]:
    """Rule 7 by circle type: each line of each type's standard as a requirement on the circles of that type."""
    return tuple(Requirement(item.function, item.min_share, item.min_per_1000, (), (circle_type,))
                 for circle_type, items in standards.items() for item in items)


def _with_level(fraw: dict, path: str, problems: list[str]) -> dict:
    """A function's raw mapping with a named GB 50180 level turned into minutes (``level`` kept)."""
    threshold = fraw.get("threshold_min")
    if not isinstance(threshold, str):
        return fraw
    name = threshold.strip()
    if name in LEVELS:
        return {**fraw, "threshold_min": LEVELS[name], "level": name}
    try:
        float(name)
    except ValueError:
        problems.append(f"{path}.threshold_min: {threshold!r} is neither minutes nor a GB 50180 level "
                        f"(known levels: {', '.join(LEVELS)})")
        return {**fraw, "threshold_min": 1.0}
    return fraw


def _semantic_problems(v: dict[str, Any], disabled: tuple[str, ...] = ()) -> list[str]:
    """Checks of meaning that types alone cannot express (``disabled``: functions switched off, known)."""
    out: list[str] = []
    functions: dict[str, FunctionSpec] = v.get("functions", {})
    if not functions:
        out.append("functions: no function is enabled")
    for name, fn in functions.items():
        p = f"functions.{name}"
        if fn.threshold_min <= 0:
            out.append(f"{p}.threshold_min: must be > 0, got {fn.threshold_min}")
        if fn.walk_speed_mps <= 0:
            out.append(f"{p}.walk_speed_mps: must be > 0, got {fn.walk_speed_mps}")
        if fn.area_per_unit_m2 <= 0:
            out.append(f"{p}.area_per_unit_m2: must be > 0, got {fn.area_per_unit_m2}")
        s = fn.size
        if not (0 < s.min_m2 <= s.standard_m2 <= s.max_m2):
            out.append(f"{p}.size: need 0 < min_m2 <= standard_m2 <= max_m2, got "
                       f"{s.min_m2}, {s.standard_m2}, {s.max_m2}")
        if fn.cost.per_m2 < 0 or fn.cost.fixed < 0:
            out.append(f"{p}.cost: costs must be >= 0")
        if not fn.weight >= 0 or fn.weight == float("inf"):
            out.append(f"{p}.weight: must be a number >= 0, got {fn.weight}")
        if not fn.priority >= 0 or fn.priority == float("inf"):
            out.append(f"{p}.priority: must be a number >= 0, got {fn.priority}")
        if fn.level and fn.level not in LEVELS:
            out.append(f"{p}.level: unknown level {fn.level!r} (known: {', '.join(LEVELS)})")
        if fn.capacity_demand is not None and not fn.capacity_demand.per_1000 > 0:
            out.append(f"{p}.capacity_demand.per_1000: must be > 0, got {fn.capacity_demand.per_1000}")
        if not fn.eligible:
            out.append(f"{p}.eligible: at least one rule is needed")
        for i, rule in enumerate(fn.eligible):
            for kind in rule.kinds:
                if kind not in SITE_KINDS:
                    out.append(f"{p}.eligible[{i}].kinds: unknown site kind {kind!r} "
                               f"(known: {', '.join(SITE_KINDS)})")
            for flag in rule.requires:
                if flag not in SITE_FLAGS:
                    out.append(f"{p}.eligible[{i}].requires: unknown site flag {flag!r} "
                               f"(known: {', '.join(SITE_FLAGS)})")
    kinds = v.get("site_kinds", {})
    for kind in SITE_KINDS:
        if kind not in kinds:
            out.append(f"site_kinds.{kind}: missing")
    for kind, spec in kinds.items():
        if kind not in SITE_KINDS:
            out.append(f"site_kinds.{kind}: unknown site kind (known: {', '.join(SITE_KINDS)})")
        elif spec.fixed_cost < 0 or spec.cost_factor < 0:
            out.append(f"site_kinds.{kind}: costs must be >= 0")
    share_per_function: dict[str, float] = {}
    for i, g in enumerate(v["sharing"].groups if v.get("sharing") else ()):
        p = f"sharing.groups[{i}] ({g.name})"
        if len(g.functions) < 2:
            out.append(f"{p}.functions: a group needs at least two functions")
        if len(set(g.functions)) != len(g.functions):
            out.append(f"{p}.functions: a function is listed twice")
        for fname in g.functions:
            if fname not in functions:
                if fname not in disabled:  # a group of a disabled function simply never applies
                    out.append(f"{p}.functions: unknown function {fname!r} (known: "
                               f"{', '.join([*functions, *disabled])})")
                continue
            share_per_function[fname] = share_per_function.get(fname, 0.0) + g.area_saving
        for key in ("area_saving", "cost_saving"):
            val = getattr(g, key)
            if not 0 <= val < 1:
                out.append(f"{p}.{key}: must be in [0, 1), got {val}")
    for fname, total in share_per_function.items():
        if total >= 1:
            out.append(f"sharing: area savings of the groups holding {fname} add up to {total} >= 1")
    b: BudgetSpec = v.get("budget", BudgetSpec())
    if b.total is not None and b.total < 0:
        out.append(f"budget.total: must be >= 0, got {b.total}")
    for d, amount in b.by_district.items():
        if amount < 0:
            out.append(f"budget.by_district.{d}: must be >= 0, got {amount}")
    if b.total is None and not b.by_district and not b.bounds_public_money:
        out.append("budget: give budget.total and/or budget.by_district (yuan), or a public amount "
                   "(public_one_off, public_yearly, public_horizon)")
    objective = v.get("objective", "share")
    if objective not in OBJECTIVES:
        out.append(f"objective: unknown objective {v['objective']!r} (known: {', '.join(OBJECTIVES)})")
    if objective in ("share", "fair") and functions and all(fn.priority == 0 for fn in functions.values()):
        out.append(f"functions.*.priority: every function has priority 0, so objective {objective} has "
                   "nothing to gain; give at least one a priority > 0")
    fairness = v.get("fairness", FairnessSpec())
    if fairness.worst not in ("per_function", "overall"):
        out.append(f"fairness.worst: must be per_function or overall, got {fairness.worst!r}")
    if objective == "people" and functions and all(fn.weight == 0 for fn in functions.values()):
        out.append("functions.*.weight: every function has weight 0, so objective people has nothing to gain")
    requirements = v.get("requirements", ())
    if v.get("objective") == "least_cost" and not requirements and not v.get("standards"):
        out.append("objective: least_cost asks what the requirements cost, but no requirements are given")
    targets = [(f"standards.{circle_type}[{i}]", item) for circle_type, items in v.get("standards", {}).items()
               for i, item in enumerate(items)] + [(f"requirements[{i}]", req) for i, req in enumerate(requirements)]
    for p, target in targets:
        out += _target_problems(p, target, functions)
    m: ModelSpec = v.get("model", ModelSpec())
    if m.ineligible_sites not in ("error", "ignore"):
        out.append(f"model.ineligible_sites: must be error or ignore, got {m.ineligible_sites!r}")
    if m.mode not in MODES:
        out.append(f"model.mode: must be one of {', '.join(MODES)}, got {m.mode!r}")
    r: ReachSpec = v.get("reach", ReachSpec())
    if r.method is not None and r.method not in REACH_METHODS:
        out.append(f"reach.method: unknown method {r.method!r} (known: {', '.join(REACH_METHODS)})")
    if not r.max_snap_m > 0:
        out.append(f"reach.max_snap_m: the farthest a point may lie from the walk network must be > 0 metres, "
                   f"got {r.max_snap_m}")
    if r.detour_factor < 1:
        out.append(f"reach.detour_factor: must be >= 1, got {r.detour_factor}")
    for key in ("stairs_up_factor", "stairs_down_factor", "od_speed_mps"):
        if getattr(r, key) <= 0:
            out.append(f"reach.{key}: must be > 0")
    if r.missing_elevation not in ("error", "flat"):
        out.append(f"reach.missing_elevation: must be error or flat, got {r.missing_elevation!r}")
    s: SolverSpec = v.get("solver", SolverSpec())
    import solvers as registry

    known = registry.all_solvers() + [AUTO]  # the registry's backends (greedy among them) and auto
    if s.name not in known:
        out.append(f"solver.name: unknown solver {s.name!r} (known: {', '.join(known)})")
    warm_starts = ["none"] + registry.solvers_where(gives_warm_start=True)
    if s.warm_start not in warm_starts:
        out.append(f"solver.warm_start: must be {' or '.join(warm_starts)}, got {s.warm_start!r}")
    heuristic = next((n for n in (s.name, s.warm_start) if n in registry.solvers_where(needs_planning_model=True)),
                     None)
    if heuristic and (m.mode != "coverage" or objective not in ("share", "people")):
        out.append(f"solver: the {heuristic} heuristic plans coverage mode with objective share or people only")
    if s.time_limit_s is not None and not (math.isfinite(s.time_limit_s) and s.time_limit_s > 0):
        out.append(f"solver.time_limit_s: must be > 0, got {s.time_limit_s}")
    if not 0 <= s.relative_gap < 1:
        out.append(f"solver.relative_gap: must be in [0, 1), got {s.relative_gap}")
    if s.threads is not None and s.threads < 1:
        out.append(f"solver.threads: must be >= 1, got {s.threads}")
    out += _phasing_problems(v.get("phasing", PhasingSpec()))
    out += _money_problems(v.get("money", MoneySpec()), v.get("budget", BudgetSpec()), functions)
    out += _shared_parking_problems(v.get("shared_parking", SharedParkingSpec()), functions)
    out += _requests_problems(v.get("requests", RequestsSpec()))
    out += _complex_problems(v)
    out += grading_problems(v.get("grading", DEFAULT_GRADING), functions)
    for key in ("force_in", "force_out"):
        for entry in getattr(v.get("decisions", DecisionsSpec()), key):
            if ":" in entry and entry.split(":", 1)[1] not in functions:
                out.append(f"decisions.{key}: {entry!r} names an unknown or disabled function")
    return out


def _target_problems(p: str, target: Requirement | StandardItem, functions: dict[str, FunctionSpec]) -> list[str]:
    """A requirement or a line of a circle type's standard: a planned function and exactly one sensible level."""
    out = []
    if target.function not in functions:
        out.append(f"{p}.function: {target.function!r} is unknown or disabled (planned: {', '.join(functions)})")
    if (target.min_share is None) == (target.min_per_1000 is None):
        out.append(f"{p}: give exactly one of min_share and min_per_1000")
    if target.min_share is not None and not 0 < target.min_share <= 1:
        out.append(f"{p}.min_share: must be in (0, 1], got {target.min_share}")
    if target.min_per_1000 is not None and not target.min_per_1000 > 0:
        out.append(f"{p}.min_per_1000: must be > 0, got {target.min_per_1000}")
    return out


def _paid_by_problems(p: str, shares: PaidBy) -> list[str]:
    """Shares between 0 and 1 that sum to 1."""
    out = [f"{p}.{payer}: must be in [0, 1], got {shares.share(payer)}" for payer in PAYERS
           if not 0 <= shares.share(payer) <= 1]
    total = sum(shares.share(payer) for payer in PAYERS)
    if abs(total - 1) > 1e-9:
        out.append(f"{p}: the shares of {', '.join(PAYERS)} must sum to 1, got {total:g}")
    return out


def _money_problems(m: MoneySpec, b: BudgetSpec, functions: dict[str, FunctionSpec]) -> list[str]:
    """Running costs, shares, horizon, rent, channels and public budgets that mean something."""
    out = []
    if m.horizon_years < 1:
        out.append(f"money.horizon_years: must be >= 1, got {m.horizon_years}")
    if not 0 <= m.discount_rate < 1:
        out.append(f"money.discount_rate: must be in [0, 1), got {m.discount_rate}")
    if m.rent.per_m2_year < 0:
        out.append(f"money.rent.per_m2_year: must be >= 0, got {m.rent.per_m2_year}")
    out += _paid_by_problems("money.one_off_paid_by", m.one_off_paid_by)
    out += _paid_by_problems("money.running_paid_by", m.running_paid_by)
    for name, fn in functions.items():
        if fn.running.fixed_per_year < 0 or fn.running.per_m2_year < 0:
            out.append(f"functions.{name}.running: yearly costs must be >= 0")
        if fn.running_paid_by is not None:
            out += _paid_by_problems(f"functions.{name}.running_paid_by", fn.running_paid_by)
    seen = set()
    for i, ch in enumerate(m.channels):
        p = f"money.channels[{i}] ({ch.name})"
        if not ch.name:
            out.append(f"money.channels[{i}].name: a channel needs a name")
        if ch.name in seen:
            out.append(f"{p}.name: named twice")
        seen.add(ch.name)
        if ch.cap is not None and not ch.cap >= 0:
            out.append(f"{p}.cap: must be >= 0 (or left out for no cap), got {ch.cap}")
        for f in ch.functions:
            if f not in functions:
                out.append(f"{p}.functions: {f!r} is unknown or disabled (planned: {', '.join(functions)})")
    if m.channels and not any(not ch.functions for ch in m.channels):
        out.append("money.channels: no channel may fund the sites' conversion works (give one channel without "
                   "functions, e.g. the district's own budget)")
    for key in ("public_one_off", "public_yearly", "public_horizon"):
        amount = getattr(b, key)
        if amount is not None and not amount >= 0:
            out.append(f"budget.{key}: must be >= 0, got {amount}")
    return out


def _complex_problems(v: dict[str, Any]) -> list[str]:
    """Complexes (渝邻汇): planned functions, a rule no looser than the guideline's three functions,
    and savings that can never make a site's cost negative."""
    out: list[str] = []
    functions: dict[str, FunctionSpec] = v.get("functions", {})
    complexes: tuple[ComplexSpec, ...] = v.get("complexes", ())
    names = [c.name for c in complexes]
    for i, c in enumerate(complexes):
        p = f"complexes[{i}] ({c.name})"
        mine: list[str] = []
        if not c.name.strip():
            mine.append(f"complexes[{i}].name: give the complex type a name (e.g. 渝邻汇)")
        elif names.count(c.name) > 1:
            mine.append(f"{p}.name: two complex types are called {c.name!r}")
        unknown = [f for f in c.functions if f not in functions]
        if unknown:
            mine.append(f"{p}.functions: {', '.join(map(repr, unknown))} unknown or disabled "
                        f"(planned: {', '.join(functions)})")
        if len(set(c.functions)) != len(c.functions):
            mine.append(f"{p}.functions: a function is listed twice")
        least = max(c.min_functions, GUIDELINE_MIN_FUNCTIONS)
        if len(set(c.functions)) < least:
            mine.append(f"{p}.functions: lists {len(set(c.functions))} functions, fewer than its min_functions "
                        f"({c.min_functions}) or the guideline's {GUIDELINE_MIN_FUNCTIONS}")
        if c.min_functions < GUIDELINE_MIN_FUNCTIONS:
            mine.append(f"{p}.min_functions: a complex bundles at least {GUIDELINE_MIN_FUNCTIONS} functions "
                        f"(national guideline 2024), got {c.min_functions}")
        core = c.core_functions
        stray = [f for f in core if f not in c.functions]
        if stray:
            mine.append(f"{p}.core: {', '.join(map(repr, stray))} not among its functions")
        if c.min_core < 0:
            mine.append(f"{p}.min_core: must be >= 0, got {c.min_core}")
        elif c.min_core > len(set(core)):
            given = "listed" if c.core is not None else (
                f"by default (the guideline's {', '.join(GUIDELINE_CORE)} among its functions)")
            mine.append(f"{p}.min_core: {c.min_core} is more than the {len(set(core))} core functions {given}"
                        f"{': ' + ', '.join(core) if core else ''}; list core, or lower min_core")
        if c.min_area_m2 < 0:
            mine.append(f"{p}.min_area_m2: must be >= 0, got {c.min_area_m2}")
        for kind in c.kinds:
            if kind not in SITE_KINDS:
                mine.append(f"{p}.kinds: unknown site kind {kind!r} (known: {', '.join(SITE_KINDS)})")
        for key in ("saving_yuan", "area_saving_m2"):
            if not getattr(c, key) >= 0 or getattr(c, key) == float("inf"):
                mine.append(f"{p}.{key}: must be a number >= 0, got {getattr(c, key)}")
        out += mine
    return out


def _phasing_problems(ph: PhasingSpec) -> list[str]:
    """Years must be whole years, money and the discount rate not negative."""
    out = []
    for year, amount in ph.budgets.items():
        if not (year.isdigit() and 1900 <= int(year) <= 2200):
            out.append(f"phasing.budgets.{year}: keys must be years such as 2026")
        if amount < 0:
            out.append(f"phasing.budgets.{year}: must be >= 0, got {amount}")
    if ph.discount_rate < 0:
        out.append(f"phasing.discount_rate: must be >= 0, got {ph.discount_rate}")
    for site, year in ph.available_from.items():
        if not 1900 <= year <= 2200:
            out.append(f"phasing.available_from.{site}: must be a year such as 2027, got {year}")
    for year, count in ph.milestones.items():
        if not (year.isdigit() and 1900 <= int(year) <= 2200):
            out.append(f"phasing.milestones.{year}: keys must be years such as 2027")
        if count < 0:
            out.append(f"phasing.milestones.{year}: a number of life circles must be >= 0, got {count}")
    return out


def _shared_parking_problems(spec: SharedParkingSpec, functions: dict[str, FunctionSpec]) -> list[str]:
    """``min_hours`` is hours of a day; only parking may be placed in a shared garage."""
    out = []
    if not 0 <= spec.min_hours <= 24:
        out.append(f"shared_parking.min_hours: must be hours of a day (0-24), got {spec.min_hours}")
    for name, fn in functions.items():
        for i, rule in enumerate(fn.eligible):
            if SHARED_GARAGE in rule.kinds and name != SHARED_PARKING_FUNCTION:
                out.append(f"functions.{name}.eligible[{i}].kinds: a {SHARED_GARAGE} offers its spaces to parked "
                           f"cars only; only {SHARED_PARKING_FUNCTION} may be placed there")
    return out


def _requests_problems(rq: RequestsSpec) -> list[str]:
    """People per request a finite number >= 0, ``since`` a date, channels named."""
    out = []
    if not 0 <= rq.weight < float("inf"):
        out.append(f"requests.weight: people per request must be a number >= 0, got {rq.weight}")
    if rq.since:
        try:
            datetime.date.fromisoformat(rq.since)
            if len(rq.since) != 10:
                raise ValueError(rq.since)
        except ValueError:
            out.append(f"requests.since: must be a date YYYY-MM-DD such as 2025-01-01, got {rq.since!r}")
    for i, channel in enumerate(rq.channels):
        if not channel.strip():
            out.append(f"requests.channels[{i}]: a channel needs a name (e.g. 渝快办)")
    return out


def load_scenario(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> Scenario:
    """Read, merge (``extends``), override (``--set``) and parse a scenario file.

    Parameters
    ----------
    path
        The scenario YAML file.
    overrides
        ``path.to.key=value`` strings, applied after ``extends`` merging.

    Raises
    ------
    ScenarioError
        Listing every unknown key, wrong type and meaningless value with its path.
    """
    raw = read_raw(Path(path))
    raw = apply_overrides(raw, list(overrides))
    _resolve_paths(raw, Path.cwd())  # paths given with --set are relative to where you run
    return parse_scenario(raw, source=str(path))
