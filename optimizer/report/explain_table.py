"""The report's "Why these sites" section (``<section id="explain">``) and ``lifecircle explain``'s printed table.

With the run folder's ``explain.json`` (written by ``lifecircle explain``): one row per
chosen site (people only it reaches, the objective lost if it were dropped and nothing
else changed, the objective lost after re-planning without it, whether that is proven or
a bound, yuan per person), then the best sites not chosen and the price of each forced
decision. Without it, the solve-free columns the run folder holds (people only it reaches,
from ``plan_facilities.csv`` → ``covered_only_here``, and yuan per person) and a note
saying how to get the rest.

Every word is in the report's language, from :data:`WORDS`; site names are Chinese data,
wrapped in ``<span class="name" lang="zh">``.
"""
from __future__ import annotations

from html import escape

from optimizer.i18n import check_lang
from optimizer.outputs.explain_files import read_explanation
from optimizer.report.words import money
from optimizer.run_folder import RunFolder

#: Phrases of the section and the printed table: key -> {language: text}.
WORDS: dict[str, dict[str, str]] = {
    "title": {"zh": "为什么选这些点位", "en": "Why these sites"},
    "intro": {"zh": "每个选中点位：只有它覆盖的人（若删去它而其他不变，这些人失去服务）"
                    "及由此损失的目标值（精确计算，无需求解）；"
                    "删去它并重新规划后的目标损失（重新求解：两次求解都证明最优时为“已证明”，否则给出区间）；每人投资（元/人）。",
              "en": "For each chosen site: the people only it reaches (they lose the service if it were dropped and "
                    "nothing else changed) and the objective lost then (exact, no solve); the objective lost after "
                    "re-planning without it (a re-solve: proven when the run and the re-solve are both proven "
                    "optimal, else an interval); and the yuan per person."},
    "unit_share": {"zh": "目标单位：百分点。", "en": "Objective in percentage points."},
    "unit_people": {"zh": "目标单位：加权人数。", "en": "Objective in weighted people."},
    "site": {"zh": "点位", "en": "site"},
    "functions": {"zh": "功能", "en": "functions"},
    "only_here": {"zh": "仅此点覆盖（人）", "en": "people only it reaches"},
    "lost_unchanged": {"zh": "直接删去的目标损失", "en": "objective lost if dropped, nothing else changed"},
    "lost_replanned": {"zh": "重新规划后的目标损失", "en": "objective lost after re-planning"},
    "basis": {"zh": "依据", "en": "basis"},
    "per_person": {"zh": "元/人（仅此点覆盖；新覆盖）", "en": "yuan per person (only it reaches; newly covered)"},
    "exact": {"zh": "精确", "en": "exact"},
    "proven": {"zh": "已证明", "en": "proven"},
    "bound": {"zh": "区间，未证明", "en": "bound, not proven"},
    "infeasible": {"zh": "无可行方案", "en": "no plan meets every rule"},
    "not solved": {"zh": "未求解出", "en": "not solved"},
    "not_asked": {"zh": "未计算", "en": "not computed"},
    "forced_in": {"zh": "（强制选入）", "en": " (forced in)"},
    "unchosen_title": {"zh": "未选中的最佳点位", "en": "The best sites not chosen"},
    "unchosen_note": {"zh": "可新增：在现方案之上，该点位按标准面积设置其空间容得下的最佳功能组合"
                            "可新增覆盖的人数与目标值（精确）；"
                            "强制选入：重新求解的目标变化及被替换的点位；入选预算：现方案投资加该点位投资，"
                            "在此预算下含该点位的方案不差于现方案（上限，可能更低即可入选）。",
                      "en": "Would add: on top of the plan, the people and objective its best set of functions that "
                            "fits its space at standard sizes would newly cover (exact); forced in: the objective "
                            "change of a re-solve and the sites it displaces; enters by: the plan's cost plus the "
                            "site's, a budget at which a plan with it is no worse than today's (at most: it may "
                            "enter below)."},
    "adds_people": {"zh": "可新增覆盖（人）", "en": "would add (people)"},
    "adds_objective": {"zh": "可新增目标值", "en": "would add (objective)"},
    "change_forced_in": {"zh": "强制选入后目标变化", "en": "objective change if forced in"},
    "displaced": {"zh": "被替换的点位", "en": "would displace"},
    "enters_by": {"zh": "入选预算（上限）", "en": "enters by budget (at most)"},
    "forced_title": {"zh": "强制决策的代价", "en": "The price of each forced decision"},
    "forced_note": {"zh": "代价：取消该强制决策并重新求解可增加的目标值。",
                    "en": "Price: the objective gained by re-solving without the forced decision."},
    "decision": {"zh": "强制决策", "en": "forced decision"},
    "stated_in": {"zh": "出处", "en": "stated in"},
    "price": {"zh": "代价（目标值）", "en": "price (objective)"},
    "force_in": {"zh": "强制选入", "en": "forced in"},
    "force_out": {"zh": "强制排除", "en": "forced out"},
    "none": {"zh": "无", "en": "none"},
    "no_explain": {"zh": "重新规划的数字：运行 lifecircle explain RUN 计算"
                         "（删去后重新规划的损失、未选中的最佳点位、强制决策的代价）。",
                   "en": "Re-planning figures: run lifecircle explain RUN (the loss after re-planning without each "
                         "site, the best sites not chosen, the price of forced decisions)."},
    "no_sites": {"zh": "方案未选中任何点位。", "en": "The plan converts no site."},
    "note": {"zh": "说明", "en": "note"},
}


def word(key: str, lang: str) -> str:
    """A phrase of the section in ``lang`` (``zh`` or ``en``)."""
    return WORDS[key][check_lang(lang)]


def _num(v: float | None, digits: int = 2) -> str:
    return "–" if v is None else f"{v:,.{digits}f}"


def figure_text(fig: dict | None, lang: str, digits: int = 2) -> tuple[str, str]:
    """A figure of ``explain.json`` as (number or interval, basis in words)."""
    if not fig:
        return "–", word("not_asked", lang)
    basis = str(fig.get("basis"))
    if fig.get("value") is not None:
        return _num(fig["value"], digits), word(basis, lang) if basis in WORDS else basis
    if fig.get("low") is not None or fig.get("high") is not None:
        return f"[{_num(fig.get('low'), digits)}, {_num(fig.get('high'), digits)}]", word("bound", lang)
    return "–", word(basis, lang) if basis in WORDS else basis


def _name(site_id: str, name: str) -> str:
    shown = f'<span class="name" lang="zh">{escape(name)}</span> ' if name else ""
    return f"{shown}<small>{escape(site_id)}</small>"


def _functions(fs: list[str], labels: dict[str, str], lang: str) -> str:
    return ("、" if lang == "zh" else ", ").join(escape(labels.get(f, f)) for f in fs)


def _table(header: list[str], rows: list[list[str]], numeric_from: int = 2) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f'<td class="{"num" if j >= numeric_from else ""}">{c}</td>'
                                    for j, c in enumerate(r)) + "</tr>" for r in rows)
    return f'<table class="explain"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _per_person(only: float | None, reached: float | None) -> str:
    return f"{_num(only, 0)}; {_num(reached, 0)}"


def _solve_free_rows(folder: RunFolder, labels: dict[str, str], lang: str) -> dict[str, list[str]]:
    """Per chosen site, from the run folder alone: name, functions, people only it reaches, yuan per person."""
    fac = folder.facilities
    only = (fac.groupby("site_id")["covered_only_here"].sum() if "covered_only_here" in fac.columns else None)
    new = fac.groupby("site_id")["newly_covered"].sum() if "newly_covered" in fac.columns else None
    rows = {}
    for r in folder.sites.to_dict(orient="records"):
        sid = str(r["site_id"])
        n_only = float(only.get(sid, 0.0)) if only is not None else None
        n_new = float(new.get(sid, 0.0)) if new is not None else None
        cost = float(r["total_cost"])
        rows[sid] = [_name(sid, str(r.get("site_name") or "")),
                     _functions([f for f in str(r["functions"]).split("+") if f], labels, lang),
                     _num(n_only, 0),
                     _per_person(cost / n_only if n_only else None, cost / n_new if n_new else None)]
    return rows


def _with_command(text: str) -> str:
    """``text`` escaped, the command it names (``lifecircle explain RUN``) shown as code, not as words."""
    command = "lifecircle explain RUN"
    return escape(text).replace(command, f"<code>{command}</code>")


def explain_section(folder: RunFolder, lang: str, labels: dict[str, str]) -> str:
    """The report's ``<section id="explain">`` for ``folder`` in ``lang`` (``labels``: function names)."""
    data = read_explanation(folder.path)
    title = f'<h2>{escape(word("title", lang))}</h2>'
    solve_free = _solve_free_rows(folder, labels, lang)
    if data is None:
        rows = list(solve_free.values())
        body = (_table([word("site", lang), word("functions", lang), word("only_here", lang), word("per_person", lang)],
                       rows) if rows else f'<p>{escape(word("no_sites", lang))}</p>')
        return (f'<section id="explain">{title}{body}'
                f'<p class="note">{_with_command(word("no_explain", lang))}</p></section>')
    unit = word("unit_people" if data.get("objective_kind") == "people" else "unit_share", lang)
    parts = [f'<section id="explain">{title}<p class="note">{escape(word("intro", lang))} {escape(unit)}</p>']
    rows = []
    explained = {c["site_id"]: c for c in data.get("chosen", [])}
    for sid, free in solve_free.items():  # every chosen site; those not explained (yet) with what the folder holds
        c = explained.get(sid)
        if c is None:
            rows.append(free[:3] + ["–", "–", escape(word("not_asked", lang)), free[3]])
            continue
        replanned, basis = figure_text(c.get("lost_after_replanning"), lang)
        rows.append([_name(c["site_id"], c.get("name", "")) + (escape(word("forced_in", lang)) if c.get("forced_in")
                                                                else ""),
                     _functions(c.get("functions", []), labels, lang), _num(c.get("people_only_here_total"), 0),
                     figure_text(c.get("lost_if_dropped_unchanged"), lang)[0], replanned, escape(basis),
                     _per_person(c.get("yuan_per_person_only_here"), c.get("yuan_per_person_reached"))])
    if len(explained) < len(solve_free):
        parts.append(f'<p class="note">{_with_command(word("no_explain", lang))}</p>')
    if rows:
        parts.append(_table([word("site", lang), word("functions", lang), word("only_here", lang),
                             word("lost_unchanged", lang), word("lost_replanned", lang), word("basis", lang),
                             word("per_person", lang)], rows))
    unchosen = data.get("not_chosen", [])
    if unchosen:
        urows = []
        for u in unchosen:
            ch, basis = figure_text(u.get("change_if_forced_in"), lang)
            urows.append([_name(u["site_id"], u.get("name", "")), _functions(u.get("functions", []), labels, lang),
                          _num(u.get("adds_people_total"), 0), figure_text(u.get("adds_objective"), lang)[0],
                          f"{ch} ({escape(basis)})",
                          escape(", ".join(u.get("displaced", []))) or escape(word("none", lang)),
                          escape(money((u.get("enters_by_budget") or {}).get("value"), lang))])
        parts.append(f'<h3>{escape(word("unchosen_title", lang))}</h3>'
                     f'<p class="note">{escape(word("unchosen_note", lang))}</p>'
                     + _table([word("site", lang), word("functions", lang), word("adds_people", lang),
                               word("adds_objective", lang), word("change_forced_in", lang), word("displaced", lang),
                               word("enters_by", lang)], urows))
    forced = data.get("forced", [])
    if forced:
        frows = []
        for f in forced:
            price, basis = figure_text(f.get("price"), lang)
            frows.append([f'{escape(word(f["decision"], lang))} <small>{escape(f["entry"])}</small>',
                          escape(f.get("source", "")), price, escape(basis)])
        parts.append(f'<h3>{escape(word("forced_title", lang))}</h3>'
                     f'<p class="note">{escape(word("forced_note", lang))}</p>'
                     + _table([word("decision", lang), word("stated_in", lang), word("price", lang),
                               word("basis", lang)], frows))
    parts.append("</section>")
    return "".join(parts)


def explain_lines(data: dict, lang: str, labels: dict[str, str]) -> list[str]:
    """The printed table of ``lifecircle explain`` in ``lang``: one line per site and forced decision."""
    unit = word("unit_people" if data.get("objective_kind") == "people" else "unit_share", lang).rstrip("。.")
    out = [f"{word('title', lang)} ({data.get('run', '')}; {unit[:1].lower() + unit[1:]})"]
    chosen = data.get("chosen", [])
    if chosen:
        out.append(f"  {word('site', lang):<12}{word('only_here', lang):>22}  {word('lost_unchanged', lang)} | "
                   f"{word('lost_replanned', lang)} ({word('basis', lang)}) | {word('per_person', lang)}")
    for c in chosen:
        replanned, basis = figure_text(c.get("lost_after_replanning"), lang)
        fs = ",".join(labels.get(f, f) for f in c.get("functions", []))
        out.append(f"  {c['site_id']:<12}{_num(c.get('people_only_here_total'), 0):>22}  "
                   f"{figure_text(c.get('lost_if_dropped_unchanged'), lang)[0]} | {replanned} ({basis}) | "
                   f"{_per_person(c.get('yuan_per_person_only_here'), c.get('yuan_per_person_reached'))}  [{fs}]")
    unchosen = data.get("not_chosen", [])
    if unchosen:
        out.append(f"{word('unchosen_title', lang)}: {word('adds_people', lang)} / {word('adds_objective', lang)} | "
                   f"{word('change_forced_in', lang)} | {word('displaced', lang)} | {word('enters_by', lang)}")
    for u in unchosen:
        ch, basis = figure_text(u.get("change_if_forced_in"), lang)
        out.append(f"  {u['site_id']:<12}{_num(u.get('adds_people_total'), 0):>10} / "
                   f"{figure_text(u.get('adds_objective'), lang)[0]} | {ch} ({basis}) | "
                   f"{', '.join(u.get('displaced', [])) or word('none', lang)} | "
                   f"{money((u.get('enters_by_budget') or {}).get('value'), lang)}")
    forced = data.get("forced", [])
    if forced:
        out.append(f"{word('forced_title', lang)}:")
    for f in forced:
        price, basis = figure_text(f.get("price"), lang)
        out.append(f"  {word(f['decision'], lang)} {f['entry']} ({f.get('source', '')}): {price} ({basis})")
    out += [f"  {word('note', lang)}: {n}" for n in data.get("notes", [])]
    return out
