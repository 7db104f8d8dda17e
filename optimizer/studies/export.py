"""Export the built planning model for other solvers: MPS or CPLEX-LP, with stable names.

``lifecircle export`` runs the pipeline up to the built model (validate -> reach ->
existing service -> build; nothing is solved) and writes it with meaningful column names,
so that a commercial solver's solution can be mapped back and checked
(``lifecircle check``, :mod:`optimizer.studies.external`). Names (sanitised: ASCII letters,
digits, ``_`` and ``.``; another ASCII character becomes ``_``, a non-ASCII one ``u`` +
its hex code point, so ``渝中`` is ``u6e1du4e2d``):

=================================  ==============================================================
``x_<site>_<function>``            binary: the function is provided at the site
``o_<site>``                       binary: the site is converted (conversion cost paid once)
``z_<site>_<group>``               binary: every function of the sharing group sits there (the
                                   group's name when plain ASCII, else its functions joined
                                   by ``.``: ``z_S1_elder_care.childcare``)
``y_<function>_<k>``               coverage mode: share of merged demand row ``k`` newly covered
``a_<site>_<function>``            capacitated: area given to the facility (m2)
``w_<function>_<k>_<site>``        capacitated: people of demand row ``k`` served by the facility
``sc_<site>_<group>``              capacitated: sharing cost saving (in 10,000 yuan)
``sa_<site>_<group>``              capacitated: sharing area saving (m2)
``n_<circle>_<function>``          rule 6: the function is newly provided in the life circle
``q_<site>_<fa>_<fb>``             rule 6, groups of 3+: ``fa`` and ``fb`` both at the site
=================================  ==============================================================

Rows are named after their rule (``coverage_12``, ``budget_whole_scenario``, ...). Names
are unique (a clash gets ``_2``, ``_3``, ...) and the same for the same scenario and
inputs, so the names a solver reports map back onto the columns. A sidecar
``FILE.map.json`` states the scenario, model sizes, sense, what the objective means and
the column names in order.

The capacitated model's strong rows (``w <= people x``; see :mod:`optimizer.model.strengthen`)
are valid inequalities added at solve time; the exported file has the model without
them (same optimum).
"""
from __future__ import annotations

import dataclasses
import json
import logging
import os
import re
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from optimizer.inputs.types import Inputs
from optimizer.jsonable import to_jsonable
from optimizer.model.budget_space import MONEY_UNIT
from optimizer.model.build import PlanningModel
from optimizer.pipeline import ModelSetup, Progress
from optimizer.pipeline import prepare_model as pipeline_prepare_model
from optimizer.reach.cache import ReachCache
from optimizer.rules.existing import site_circles
from optimizer.scenario import Scenario
from solvers.lp import write_lp
from solvers.mps import write_mps
from solvers.problem import MatrixProblem, Sense

log = logging.getLogger(__name__)

FORMATS = ("mps", "lp")
#: Longest name written (MPS and LP readers accept 255 characters).
MAX_NAME = 255


def prepare_model(scenario: Scenario, inputs: Inputs | None = None, reach_cache: ReachCache | None = None,
                  progress: Progress | None = None) -> ModelSetup:
    """The pipeline of :func:`optimizer.pipeline.run_scenario` up to the built model (no solve)."""
    return pipeline_prepare_model(scenario, progress, inputs, reach_cache)


def name_token(value: object) -> str:
    """``value`` as a name part: ASCII letters, digits, ``_`` and ``.`` kept, other ASCII
    characters ``_``, others ``u<hex code point>`` (``渝`` -> ``u6e1d``)."""
    out = []
    for ch in str(value):
        if ch.isascii():
            out.append(ch if (ch.isalnum() or ch in "_.") else "_")
        else:
            out.append(f"u{ord(ch):x}")
    return "".join(out) or "_"


def group_token(group) -> str:
    """A sharing group in names: its name when plain ASCII, else its functions joined by ``.``
    (``老幼共托`` -> ``elder_care.childcare``)."""
    if group.name.isascii() and name_token(group.name) == group.name:
        return group.name
    return ".".join(name_token(f) for f in group.functions)


def _unique(names: list[str]) -> list[str]:
    """Names shortened to :data:`MAX_NAME` and made unique (``_2``, ``_3``, ... in order)."""
    out: list[str] = []
    seen: set[str] = set()
    for nm in names:
        base = nm if len(nm) <= MAX_NAME else nm[:MAX_NAME - 12]
        cand, k = base, 1
        while cand in seen:
            k += 1
            cand = f"{base}_{k}"
        seen.add(cand)
        out.append(cand)
    return out


def _join(*parts) -> np.ndarray:
    out = np.asarray(parts[0])
    for p in parts[1:]:
        out = np.char.add(out, p)
    return np.asarray(out, dtype=str)


def _span_entries(model: PlanningModel, rule: str) -> sp.coo_matrix:
    """Nonzeros of every row block of ``rule`` (rows renumbered from 0 over the blocks)."""
    a = model.problem.matrix
    blocks = [a[r0:r1] for name, r0, r1 in model.row_blocks if name == rule]
    if not blocks:
        return sp.coo_matrix((0, a.shape[1]))
    return sp.vstack(blocks).tocoo()


def column_names(model: PlanningModel, inputs: Inputs, scenario: Scenario) -> list[str]:
    """Meaningful, sanitised, unique column names of ``model``, in column order."""
    n = model.problem.n_cols
    sites = np.array([name_token(s) for s in inputs.sites["site_id"].astype(str)], dtype=object)
    fns = np.array([name_token(f) for f in model.functions], dtype=object)
    groups = np.array([group_token(g) for g in scenario.sharing.groups], dtype=object)
    circles = site_circles(inputs)
    names = np.empty(n, dtype=object)

    def put(block, values) -> None:
        if block.size:
            names[block.start:block.stop] = np.asarray(values, dtype=object)

    ps, pf = model.pair_site, model.pair_function
    put(model.x, _join("x_", sites[ps].astype(str), "_", fns[pf].astype(str)))
    put(model.o, _join("o_", sites[model.open_site].astype(str)))
    share = _join(sites[model.share_site].astype(str), "_", groups[model.share_group].astype(str)) \
        if model.z.size else np.zeros(0, dtype=str)
    put(model.z, _join("z_", share))
    row_fn, row_k = _demand_rows(model)
    put(model.y, _join("y_", fns[row_fn].astype(str), "_", row_k.astype(str)))
    if model.a.size:
        put(model.a, _join("a_", sites[ps].astype(str), "_", fns[pf].astype(str)))
    if model.w.size:
        put(model.w, _join("w_", fns[row_fn[model.w_row]].astype(str), "_", row_k[model.w_row].astype(str), "_",
                           sites[ps[model.w_pair]].astype(str)))
    if model.sc.size:
        put(model.sc, _join("sc_", share))
        put(model.sa, _join("sa_", share))
    if model.n.size:
        put(model.n, _n_names(model, circles, fns))
    if model.q.size:
        put(model.q, _q_names(model, sites, fns))
    if model.slack.size:
        put(model.slack, [f"slack_{name_token(t.function)}_{name_token(t.circle)}" for t in model.targets])
    if model.k.size:
        cx = model.complexes
        kinds = np.array([n if n.isascii() and name_token(n) == n else f"type{t}" for t, n in enumerate(cx.names)],
                         dtype=object)
        put(model.k, _join("k_", sites[cx.site].astype(str), "_", kinds[cx.kind].astype(str)))
    blocks = (model.x, model.o, model.z, model.y, model.a, model.w, model.sc, model.sa, model.n, model.q,
              model.slack, model.k)
    for j in [j for j, v in enumerate(names.tolist()) if v is None]:  # not read back: block and position
        block = next((b for b in blocks if b.start <= j < b.stop), None)
        names[j] = f"{block.name}_{j - block.start}" if block is not None else f"c_{j}"
    return _unique([str(v) for v in names.tolist()])


def _demand_rows(model: PlanningModel) -> tuple[np.ndarray, np.ndarray]:
    """Function index and within-function number of every global demand row."""
    fn_parts, k_parts = [], []
    for i, name in enumerate(model.functions):
        g = model.coverage[name].n_groups
        fn_parts.append(np.full(g, i, dtype=np.int64))
        k_parts.append(np.arange(g, dtype=np.int64))
    if not fn_parts:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(fn_parts), np.concatenate(k_parts)


def _n_names(model: PlanningModel, circles: np.ndarray, fns: np.ndarray) -> list:
    """``n_<circle>_<function>``, read from the rows ``x[p] - n <= 0`` that link them."""
    out: list = [None] * model.n.size
    e = _span_entries(model, "newly provided in a life circle")
    is_n = (e.col >= model.n.start) & (e.col < model.n.stop)
    is_x = (e.col >= model.x.start) & (e.col < model.x.stop)
    x_of_row = np.full(e.shape[0], -1, dtype=np.int64)
    x_of_row[e.row[is_x]] = e.col[is_x] - model.x.start
    for r, c in zip(e.row[is_n], e.col[is_n], strict=True):
        k, p = int(c - model.n.start), int(x_of_row[r])
        if out[k] is None and p >= 0:
            out[k] = f"n_{name_token(circles[model.pair_site[p]])}_{fns[model.pair_function[p]]}"
    return out


def _q_names(model: PlanningModel, sites: np.ndarray, fns: np.ndarray) -> list:
    """``q_<site>_<fa>_<fb>``, read from the rows ``q - x[member] <= 0``."""
    members: list[list[int]] = [[] for _ in range(model.q.size)]
    e = _span_entries(model, "not built separately (rule 6)")
    order = np.lexsort((e.col, e.row))
    row, col = e.row[order], e.col[order]
    is_q = (col >= model.q.start) & (col < model.q.stop)
    q_rows = np.unique(row[is_q])
    for r in q_rows:
        cols = col[row == r]
        qs = cols[(cols >= model.q.start) & (cols < model.q.stop)]
        xs = cols[(cols >= model.x.start) & (cols < model.x.stop)]
        if qs.size == 1 and xs.size == 1:
            members[int(qs[0] - model.q.start)].append(int(xs[0] - model.x.start))
    out: list = []
    for ps in members:
        if len(ps) == 2:
            s = model.pair_site[ps[0]]
            out.append(f"q_{sites[s]}_{fns[model.pair_function[ps[0]]]}_{fns[model.pair_function[ps[1]]]}")
        else:
            out.append(None)
    return out


def _rule_token(rule: str) -> str:
    token = re.sub(r"_+", "_", name_token(rule.lower())).strip("_") or "row"
    if not token[0].isalpha() or re.match(r"^[eE]([0-9eE]|$)", token):
        token = "r_" + token
    return token


def row_names(model: PlanningModel) -> list[str]:
    """Row names ``<rule>_<k>`` (``k`` counted over every block of the rule; a rule of one row: ``<rule>``)."""
    totals: dict[str, int] = {}
    for rule, r0, r1 in model.row_blocks:
        totals[rule] = totals.get(rule, 0) + (r1 - r0)
    names = np.empty(model.problem.n_rows, dtype=object)
    seen: dict[str, int] = {}
    for rule, r0, r1 in model.row_blocks:
        token = _rule_token(rule)
        if totals[rule] == 1:
            names[r0:r1] = [token]
        else:
            k0 = seen.get(rule, 0)
            names[r0:r1] = _join(token + "_", np.arange(k0, k0 + r1 - r0).astype(str)).tolist()
        seen[rule] = seen.get(rule, 0) + (r1 - r0)
    for i in np.flatnonzero(names == None):  # noqa: E711 - rows outside every block (none expected)
        names[i] = f"row_{i}"
    return _unique([str(v) for v in names.tolist()])


def named_problem(setup: ModelSetup) -> MatrixProblem:
    """The model's matrix problem with its column and row names."""
    return dataclasses.replace(setup.model.problem, col_names=tuple(column_names(setup.model, setup.inputs,
                                                                                 setup.scenario)),
                               row_names=tuple(row_names(setup.model)))


# ----------------------------------------------------------------------------- sidecar
def objective_meaning(model: PlanningModel) -> str:
    """What the model's objective value is, in words."""
    if model.objective == "least_cost":
        return ("one-off cost in yuan (site conversion + function costs - sharing savings) of meeting every "
                "requirement (rule 7); budgets not imposed; minimised")
    if model.objective == "min_shortfall":
        return "sum of requirement shortfalls, each relative to its target; minimised"
    if model.mode == "capacitated":
        return ("weighted people newly served: sum over functions of weight x people of the function's counted "
                "cohort served within reach and capacity (w columns); maximised")
    return ("weighted people newly covered: sum over functions of weight x people of the function's cohort "
            "newly within reach (y columns x row people); maximised")


_BLOCK_MEANING = {
    "x": "binary: function provided at site (x_<site>_<function>)",
    "o": "binary: site converted, conversion cost paid once (o_<site>)",
    "z": "binary: every function of the sharing group at the site (z_<site>_<group>)",
    "y": "[0,1]: share of a merged demand row's people newly covered (y_<function>_<row>)",
    "a": "m2: area of the facility, 0 or between its function's min and max (a_<site>_<function>)",
    "w": "people of a demand row served by a facility (w_<function>_<row>_<site>)",
    "sc": f"sharing cost saving at the site, in {MONEY_UNIT:,.0f} yuan (sc_<site>_<group>)",
    "sa": "sharing area saving at the site, m2 (sa_<site>_<group>)",
    "n": "[0,1]: function newly provided in the life circle (rule 6) (n_<circle>_<function>)",
    "q": "[0,1]: both functions at the site, for rule 6 in groups of 3+ (q_<site>_<fa>_<fb>)",
    "slack": "requirement shortfall (diagnosis model only)",
}


def sidecar(setup: ModelSetup, problem: MatrixProblem, fmt: str, file: Path, sets: tuple[str, ...],
            split_rows: int = 0) -> dict:
    """The ``FILE.map.json`` content."""
    model, sc = setup.model, setup.scenario
    negated = fmt == "mps" and problem.sense is Sense.MAXIMIZE
    blocks = {b.name: {"first": b.start, "stop": b.stop, "meaning": _BLOCK_MEANING[b.name]}
              for b in (model.x, model.o, model.z, model.y, model.a, model.w, model.sc, model.sa, model.n, model.q,
                        model.slack) if b.size}
    groups = {group_token(g): {"name": g.name, "functions": list(g.functions)} for g in sc.sharing.groups}
    sites = {name_token(s): s for s in setup.inputs.sites["site_id"].astype(str) if name_token(s) != s}
    return {
        "file": file.name,
        "format": fmt,
        "written_by": "lifecircle export",
        "scenario": {"name": sc.name, "source": sc.source, "set": list(sets), "objective": sc.objective,
                     "mode": sc.model.mode},
        "inputs": setup.inputs.file_hashes,
        "reach_method": setup.reach_sites.method.value,
        "model": model.stats,
        "sense": problem.sense.value,
        "file_sense": "minimize" if negated else problem.sense.value,
        "objective": {
            "meaning": objective_meaning(model),
            "in_file": ("the NEGATED model objective (the MPS file always minimises): a solver's objective "
                        "value for this file is minus the model's") if negated else
                       "the model objective as it is",
            "offset": problem.objective_offset,
        },
        "money_unit_yuan": MONEY_UNIT,
        "money_rows": f"budget rows are in units of {MONEY_UNIT:,.0f} yuan",
        "rows": problem.n_rows,
        "rows_note": (f"{split_rows} two-sided rows written as two rows (_lo, _up)" if split_rows else None),
        "not_in_file": ("capacitated strong rows w <= people x (valid inequalities added at solve time; same "
                        "optimum)") if model.cut_pool[0].size else None,
        "blocks": blocks,
        "sharing_groups": groups,
        "sanitised_site_ids": sites,
        "check": f"lifecircle check {sc.source or 'SCENARIO'} --solution SOLUTION"
                 + "".join(f" --set {s}" for s in sets),
        "columns": list(problem.col_names or ()),
    }


def export_model(setup: ModelSetup, path: str | os.PathLike, fmt: str, sets: tuple[str, ...] = ()) -> dict:
    """Write the model to ``path`` (``mps`` or ``lp``) and its sidecar ``path.map.json``; both atomically.

    Returns the sidecar's content.
    """
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, not {fmt!r}")
    path = Path(path)
    problem = named_problem(setup)
    tmp = path.with_name(f".{path.name}.partial")
    map_path = path.with_name(path.name + ".map.json")
    map_tmp = map_path.with_name(f".{map_path.name}.partial")
    try:
        if fmt == "mps":
            layout = write_mps(problem, tmp)
            if layout.col_names != problem.col_names:  # pragma: no cover - names are always valid
                raise RuntimeError("the MPS writer did not keep the column names")
            split = 0
        else:
            layout = write_lp(problem, tmp)
            if layout.col_names != problem.col_names:  # pragma: no cover - names are always valid
                raise RuntimeError("the LP writer did not keep the column names")
            split = layout.split_rows
        record = sidecar(setup, problem, fmt, path, sets, split)
        map_tmp.write_text(json.dumps(to_jsonable(record), ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(tmp, path)
        os.replace(map_tmp, map_path)
    finally:
        for t in (tmp, map_tmp):
            if t.exists():
                t.unlink()
    log.info("wrote %s and %s", path, map_path)
    return record

