"""The documentation tells the truth about the code it describes.

A planner who follows a link lands on the page and section it names; a command the pages
describe is one the command line has, and every command is described; an input column the
pages call optional may really be left blank (or out), and every column the code requires
is documented as required.
"""
from __future__ import annotations

import re
import shlex
import shutil
from collections.abc import Iterator
from pathlib import Path

import click
import geopandas as gpd
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner

from optimizer.cli import main
from optimizer.errors import InputError
from optimizer.inputs.schema import ROLE_COLUMNS
from optimizer.pipeline import validate
from optimizer.scenario import load_scenario
from tests.batch_scenarios import LAT, LON, write_tiny_district

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
PAGES = [REPO / "README.md", *sorted(DOCS.glob("*.md"))]

FENCE = re.compile(r"^(```|~~~)")
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


# ----------------------------------------------------------------------------- helpers
def prose_lines(path: Path) -> Iterator[tuple[int, str]]:
    """Lines outside fenced code blocks, with their numbers."""
    fenced = False
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if FENCE.match(line.strip()):
            fenced = not fenced
            continue
        if not fenced:
            yield number, line


def code_lines(path: Path) -> Iterator[str]:
    """Lines inside fenced code blocks."""
    fenced = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if FENCE.match(line.strip()):
            fenced = not fenced
            continue
        if fenced:
            yield line


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower-case, punctuation dropped (CJK kept), spaces to '-'."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link in a heading keeps its text
    text = re.sub(r"[^\w\- ]", "", text.lower())
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every heading anchor of a page, duplicates numbered as GitHub numbers them."""
    seen: dict[str, int] = {}
    out: set[str] = set()
    for _, line in prose_lines(path):
        match = HEADING.match(line)
        if not match:
            continue
        base = slug(match.group(2))
        count = seen.get(base, 0)
        out.add(base if count == 0 else f"{base}-{count}")
        seen[base] = count + 1
    return out


def test_slug_follows_githubs_rules() -> None:
    """Anchors are lower-case, spaces become '-', punctuation is dropped, CJK and '_' are kept."""
    assert slug("Capacitated mode (rule 4)") == "capacitated-mode-rule-4"
    assert slug("`extends:` and `--set`") == "extends-and---set"
    assert slug("Multi-year phasing: the annual project list (年度项目清单)") == \
        "multi-year-phasing-the-annual-project-list-年度项目清单"
    assert slug("Data builders: `dataset_builders/`") == "data-builders-dataset_builders"


# ----------------------------------------------------------------------------- links
def internal_links() -> list[tuple[Path, int, str]]:
    """(page, line, target) of every relative link; a link's text may run over two lines."""
    links = []
    for page in PAGES:
        numbers, lines = zip(*prose_lines(page), strict=True)
        text = "\n".join(lines)
        for match in LINK.finditer(text):
            target = match.group(1)
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
                continue
            links.append((page, numbers[text.count("\n", 0, match.start(1))], target))
    return links


def test_the_pages_exist() -> None:
    """The README sends readers to these pages, and each has a title and an introduction."""
    names = {p.name for p in DOCS.glob("*.md")}
    assert {"command-line.md", "scenarios.md", "inputs.md", "outputs.md", "model.md", "walking-times.md",
            "solvers.md", "batch-and-cluster.md", "performance.md", "developing.md"} <= names
    for page in DOCS.glob("*.md"):
        lines = page.read_text(encoding="utf-8").splitlines()
        assert lines[0].startswith("# "), f"{page.name} has no title"
        assert lines[2].strip() and not lines[2].startswith("#"), f"{page.name} has no introduction"


@pytest.mark.parametrize("page,number,target", internal_links(),
                         ids=[f"{p.name}:{n}:{t}" for p, n, t in internal_links()])
def test_internal_link_resolves(page: Path, number: int, target: str) -> None:
    """A relative link names a file of the repository, and its #anchor a heading of that file."""
    path_part, _, anchor = target.partition("#")
    file = (page.parent / path_part).resolve() if path_part else page
    assert file.exists(), f"{page.name}:{number}: {target}: no file {file}"
    assert REPO in file.parents or file == REPO, f"{page.name}:{number}: {target} leaves the repository"
    if anchor:
        assert file.suffix == ".md", f"{page.name}:{number}: anchor into a non-Markdown file"
        assert anchor in anchors(file), f"{page.name}:{number}: no heading #{anchor} in {file.name}"


def test_the_docs_do_not_depend_on_files_outside_the_repository() -> None:
    """What the rules mean is stated in the repository, not only in ../shared."""
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        assert "../shared/docs/model.md" not in text, f"{page.name} sends readers to ../shared/docs/model.md"


# ----------------------------------------------------------------------------- commands
def cli_commands(group: click.Group = main, prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], click.Command]:
    """Every command of the CLI by its path, groups included."""
    out: dict[tuple[str, ...], click.Command] = {}
    for name, command in group.commands.items():
        path = (*prefix, name)
        out[path] = command
        if isinstance(command, click.Group):
            out.update(cli_commands(command, path))
    return out


def documented_commands() -> list[tuple[tuple[str, ...], list[str]]]:
    """(command path, tokens after it) of each `lifecircle ...` in code blocks and headings."""
    page = DOCS / "command-line.md"
    found: list[tuple[tuple[str, ...], list[str]]] = []
    candidates = list(code_lines(page))
    candidates += [m.group(2).replace("`", "") for _, line in prose_lines(page) if (m := HEADING.match(line))]
    for line in candidates:
        match = re.search(r"(?:^|\s|/)lifecircle\s+(.*)$", line)
        if not match:
            continue
        tokens = shlex.split(match.group(1).split("#")[0], posix=True)
        if not tokens or not re.match(r"^[a-z]", tokens[0]):
            continue
        path: tuple[str, ...] = ()
        group: click.Command = main
        while tokens and isinstance(group, click.Group) and re.match(r"^[a-z]", tokens[0]):
            path = (*path, tokens.pop(0))
            group = group.commands.get(path[-1]) if isinstance(group, click.Group) else None
            if group is None:
                break
        found.append((path, tokens))
    return found


def test_every_documented_command_exists() -> None:
    """Each `lifecircle CMD` named in command-line.md is a command of the CLI, with the options shown."""
    commands = cli_commands()
    found = documented_commands()
    assert found, "command-line.md names no command"
    for path, rest in found:
        assert path in commands, f"`lifecircle {' '.join(path)}` is not a command"
        options = {opt for param in commands[path].params for opt in (*param.opts, *param.secondary_opts)}
        for token in rest:
            for option in re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", token):
                assert option in options, f"`lifecircle {' '.join(path)}` has no option {option}"


def test_every_command_is_documented() -> None:
    """Every command of the CLI is described in command-line.md, and no removed one lingers."""
    documented = {path for path, _ in documented_commands()}
    leaves = {path for path, command in cli_commands().items() if not isinstance(command, click.Group)}
    assert leaves - documented == set(), f"undocumented: {sorted(leaves - documented)}"
    for path, command in cli_commands().items():
        if not isinstance(command, click.Group):
            params = {o for p in command.params for o in p.opts if o.startswith("--") and o != "--help"}
            synopsis = " ".join(" ".join(rest) for doc_path, rest in documented_commands() if doc_path == path)
            missing = {o for o in params if o not in synopsis}
            assert not missing, f"`lifecircle {' '.join(path)}`: options not in its synopsis: {sorted(missing)}"


# ----------------------------------------------------------------------------- input columns
def column_tables() -> dict[str, dict[str, tuple[str, str]]]:
    """role -> column -> (required, type), from the `| column | required | type | meaning |` tables."""
    tables: dict[str, dict[str, tuple[str, str]]] = {}
    role = None
    for _, line in prose_lines(DOCS / "inputs.md"):
        heading = re.match(r"^###\s+`(\w+)`", line)
        if heading:
            role = heading.group(1)
            tables[role] = {}
            continue
        if role and line.startswith("| `"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            tables[role][cells[0].strip("`")] = (cells[1], cells[2])
    return tables


#: Columns documented as required only in a stated case ("if ..."), and the case.
CONDITIONAL = {
    ("demand", "elderly"): "elder_care",
    ("demand", "infants"): "childcare",
    ("demand", "cars"): "parking",
    ("sites", "area_m2"): "not a plot polygon",
    ("facilities", "capacity"): "capacitated",
    ("od_table", "minutes"): "metres",
    ("od_table", "metres"): "minutes",
    ("requests", "community"): "circle_id",
    ("requests", "circle_id"): "community",
}
#: Columns read although not canonical: a running facility's life circle (rules 6, 7).
READ_EXTRA = {("facilities", "circle_id")}


def test_every_code_column_is_documented_with_its_type() -> None:
    """Each table of inputs.md lists exactly the code's columns, required as the code requires them."""
    tables = column_tables()
    assert set(tables) == set(ROLE_COLUMNS)
    for role, specs in ROLE_COLUMNS.items():
        documented = tables[role]
        names = {spec.name for spec in specs}
        assert set(documented) - names <= {c for r, c in READ_EXTRA if r == role}, role
        for spec in specs:
            assert spec.name in documented, f"{role}.{spec.name} is not documented"
            required, dtype = documented[spec.name]
            assert dtype == spec.dtype, f"{role}.{spec.name}: documented as {dtype}, the code reads {spec.dtype}"
            if spec.required:
                assert required == "yes", f"{role}.{spec.name} is required by the code"
            else:
                assert required != "yes", f"{role}.{spec.name} is optional in the code"
    conditional = {(r, c) for r, cols in tables.items() for c, (req, _) in cols.items() if req.startswith("if ")}
    assert conditional == set(CONDITIONAL)


def optional_columns() -> list[tuple[str, str]]:
    return [(role, column) for role, cols in column_tables().items() for column, (req, _) in cols.items()
            if req == "no"]


@pytest.fixture(scope="module")
def full_district(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The district of :func:`_write_every_column_district`, written once: GeoPackages are slow to write."""
    return _write_every_column_district(tmp_path_factory.mktemp("full-district"))


@pytest.fixture
def district(full_district: Path, tmp_path: Path) -> Path:
    """A fresh copy of the full district for one test to change; returns its scenario."""
    shutil.copytree(full_district.parent, tmp_path, dirs_exist_ok=True)
    return tmp_path / full_district.name


def _write_every_column_district(folder: Path) -> Path:
    """The tiny district with every optional column filled in, a network and an OD table."""
    scenario = write_tiny_district(folder)
    data = folder / "data"
    demand = gpd.read_file(data / "demand.gpkg")
    demand["subdistrict"], demand["community"] = "解放碑街道", "解放碑社区"
    demand.to_file(data / "demand.gpkg", layer="demand")
    sites = gpd.read_file(data / "sites.gpkg")
    sites["address"], sites["floors"], sites["parking_allowed"] = "解放碑", 3, True
    sites["allowed_functions"], sites["forced"], sites["fixed_cost"] = "", "", 400000.0
    sites["cost_per_m2"], sites["available_from"], sites["owner"] = 2500.0, 2026, "区国资"
    sites.to_file(data / "sites.gpkg", layer="sites")
    gpd.GeoDataFrame(
        {"facility_id": ["F1"], "function": ["canteen"], "capacity": [60.0], "name": ["老食堂"], "circle_id": ["LC1"]},
        geometry=[shapely.Point(LON + 0.001, LAT)], crs="EPSG:4326").to_file(data / "facilities.gpkg",
                                                                               layer="facilities")
    line = [shapely.LineString([(LON - 0.001, LAT), (LON + 0.005, LAT)]),
            shapely.LineString([(LON + 0.005, LAT), (LON + 0.011, LAT)])]
    gpd.GeoDataFrame({"highway": ["footway", "steps"], "steps": [False, True], "length_m": [580.0, 580.0],
                      "oneway_foot": [False, False]}, geometry=line, crs="EPSG:4326").to_file(
        data / "network.gpkg", layer="network")
    pd.DataFrame({"unit_id": ["U1", "U2"], "site_id": ["S1", "S2"], "minutes": [1.0, 1.0],
                  "metres": [60.0, 60.0]}).to_csv(data / "od.csv", index=False)
    gpd.GeoDataFrame({"circle_id": sorted(set(demand["circle_id"])), "name": "生活圈", "type": "居住型",
                      "subdistrict": "解放碑街道", "target_year": 2027},
                     geometry=[shapely.box(LON - 0.01, LAT - 0.01, LON + 0.02, LAT + 0.01)]
                     * demand["circle_id"].nunique(), crs="EPSG:4326").to_file(data / "circles.gpkg", layer="circles")
    gpd.GeoDataFrame({"garage_id": ["G1"], "name": ["写字楼车库"], "owner": ["写字楼"], "places": [60],
                      "hours": ["19:00-08:00"], "lease_per_space_year": [1200.0], "fixed_cost": [30000.0],
                      "circle_id": ["LC1"], "district": ["渝中区"]},
                     geometry=[shapely.Point(LON + 0.0005, LAT)], crs="EPSG:4326").to_file(
        data / "garages.gpkg", layer="garages")
    pd.DataFrame({"request_id": ["R1", "R2"], "community": ["解放碑社区", ""], "circle_id": ["LC1", "LC2"],
                  "service": ["canteen", "elder_care"], "count": [12, 3], "channel": ["渝快办", "坝坝会"],
                  "date": ["2025-03-18", "2025-04-01"]}).to_csv(data / "requests.csv", index=False)
    # a request names the demand's community or circle, so the ledger is read by a what-if of its own
    (folder / "requests.yaml").write_text("extends: tiny.yaml\ninputs:\n  requests: data/requests.csv\n",
                                          encoding="utf-8")
    scenario.write_text(
        "inputs:\n  demand: data/demand.gpkg\n  sites: data/sites.gpkg\n  facilities: data/facilities.gpkg\n"
        "  network: data/network.gpkg\n  od_table: data/od.csv\n  circles: data/circles.gpkg\n"
        "  shared_garages: data/garages.gpkg\n"
        "reach: {method: straight_line}\nbudget: {total: 20000000}\n", encoding="utf-8")
    return scenario


def _table_file(folder: Path, role: str) -> Path:
    return folder / "data" / {"demand": "demand.gpkg", "sites": "sites.gpkg", "facilities": "facilities.gpkg",
                              "network": "network.gpkg", "od_table": "od.csv", "circles": "circles.gpkg",
                              "shared_garages": "garages.gpkg", "requests": "requests.csv"}[role]


def _change(folder: Path, role: str, change) -> None:
    """Rewrite one input table through ``change(frame) -> frame``."""
    path = _table_file(folder, role)
    if path.suffix == ".csv":
        change(pd.read_csv(path)).to_csv(path, index=False)
    else:
        change(gpd.read_file(path)).to_file(path, layer=path.stem)


def _blank(column: str):
    def change(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.copy()
        frame[column] = None
        return frame
    return change


def _drop(column: str):
    return lambda frame: frame.drop(columns=[column])


def _validates(scenario: Path, overrides: tuple[str, ...] = (), role: str = "") -> None:
    if role == "requests":  # the what-if reading the requests ledger
        scenario = scenario.with_name("requests.yaml")
    validate(load_scenario(scenario, list(overrides)))


def test_the_full_district_validates(district: Path) -> None:
    """The district with every column given is valid: the checks below change one column only."""
    _validates(district)


@pytest.mark.parametrize("role,column", optional_columns(), ids=[f"{r}.{c}" for r, c in optional_columns()])
def test_an_optional_column_may_be_blank(district: Path, tmp_path: Path, role: str, column: str) -> None:
    """A column documented as optional ("no") may be blank in every row."""
    _change(tmp_path, role, _blank(column))
    _validates(district, role=role)


@pytest.mark.parametrize("role", sorted({role for role, _ in optional_columns()}))
def test_the_optional_columns_may_be_left_out_of_the_file(district: Path, tmp_path: Path, role: str) -> None:
    """Every column documented as optional ("no") may be missing from the file, all of them at once."""
    optional = [column for r, column in optional_columns() if r == role]
    _change(tmp_path, role, lambda frame: frame.drop(columns=[c for c in optional if c in frame.columns]))
    _validates(district, role=role)


@pytest.mark.parametrize("column,function", [("elderly", "elder_care"), ("infants", "childcare"),
                                             ("cars", "parking")])
def test_a_cohort_is_needed_only_when_a_function_counts_it(district: Path, tmp_path: Path, column: str,
                                                           function: str) -> None:
    """A blank cohort is refused while its function is planned, and accepted once the function is off."""
    _change(tmp_path, "demand", _blank(column))
    with pytest.raises(InputError):
        _validates(district)
    _validates(district, (f"functions.{function}.enabled=false", "model.ineligible_sites=ignore"))


def test_a_site_area_is_required_except_for_a_plot_polygon(district: Path, tmp_path: Path) -> None:
    """A point building or a point plot without area_m2 is refused; a plot polygon takes its own area."""
    _change(tmp_path, "sites", lambda f: f.assign(area_m2=[None, 2000.0]))
    with pytest.raises(InputError, match="area is missing"):
        _validates(district)
    _change(tmp_path, "sites", lambda f: f.assign(area_m2=[1500.0, None]))
    with pytest.raises(InputError, match="a plot given as a point needs area_m2"):
        _validates(district)

    def plot_polygon(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        frame = frame.copy()
        frame.loc[1, "geometry"] = frame.geometry.iloc[1].buffer(0.0003)
        return frame
    _change(tmp_path, "sites", plot_polygon)
    _validates(district)


def test_a_running_facility_needs_a_capacity_only_in_capacitated_mode(district: Path, tmp_path: Path) -> None:
    """Without a capacity a running canteen is accepted in coverage mode and refused (exit 3) in capacitated."""
    _change(tmp_path, "facilities", _blank("capacity"))
    _validates(district)
    result = CliRunner().invoke(main, ["solve", str(district), "--out", str(tmp_path / "out"),
                                       "--set", "model.mode=capacitated"])
    assert result.exit_code == 3, result.output


def test_an_od_table_needs_minutes_or_metres(district: Path, tmp_path: Path) -> None:
    """Either walking minutes or metres will do; a table with neither is refused."""
    _change(tmp_path, "od_table", _drop("minutes"))
    _validates(district)
    _change(tmp_path, "od_table", _blank("metres"))
    with pytest.raises(InputError):
        _validates(district)


def test_a_request_names_a_community_or_a_circle(district: Path, tmp_path: Path) -> None:
    """Either the community or the circle will do; a request naming neither is refused."""
    _validates(district, role="requests")
    _change(tmp_path, "requests", _drop("community"))
    _validates(district, role="requests")
    _change(tmp_path, "requests", _blank("circle_id"))
    with pytest.raises(InputError, match="names neither a community nor a circle_id"):
        _validates(district, role="requests")


def test_a_demand_unit_in_a_circle_the_circles_table_lacks_is_refused(district: Path, tmp_path: Path) -> None:
    """With a circles table, every unit's circle_id must be one of its circles (named by row and column)."""
    _change(tmp_path, "demand", lambda f: f.assign(circle_id=["LC1", "LC9"] + list(f["circle_id"][2:])))
    with pytest.raises(InputError, match=r"circle_id 'LC9' is not a circle of .*circles.gpkg") as error:
        _validates(district)
    assert "circle_id" in str(error.value) and "unit_id=" in str(error.value)
