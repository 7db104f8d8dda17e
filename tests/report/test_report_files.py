"""The report page is built from package files, and its embedded data is plain JSON."""
from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

import numpy as np

from optimizer.jsonable import to_jsonable
from optimizer.report.html import _fill_page, _json_for_script


def _shipped(name: str) -> str:
    return resources.files("optimizer.report").joinpath("static", name).read_text(encoding="utf-8")


def test_the_page_inlines_the_shipped_stylesheet_and_script_and_fills_every_placeholder():
    """One offline file: the package's CSS and script are inside the page, no placeholder is left, no link out."""
    names = set(re.findall(r"%%([A-Z0-9_]+)%%", _shipped("report.html"))) - {"CSS", "SCRIPT"}
    page = _fill_page({n: f"<!-- {n.lower()} -->" for n in names})
    assert "<style>\n" + _shipped("report.css") + "</style>" in page
    assert "<script>\n" + _shipped("report.js") + "</script>" in page
    assert not re.search(r"%%[A-Z0-9_]+%%", page)
    assert not re.search(r"""(src|href)=["']https?:""", page)


def test_inserted_text_is_never_read_as_a_placeholder():
    """A scenario description that happens to contain %%FOOTER%% stays as it was written."""
    names = set(re.findall(r"%%([A-Z0-9_]+)%%", _shipped("report.html"))) - {"CSS", "SCRIPT"}
    page = _fill_page({**{n: "" for n in names}, "DESCRIPTION": "%%FOOTER%%", "FOOTER": "the footer"})
    assert "%%FOOTER%%" in page and "the footer" in page


def test_numpy_numbers_paths_and_tuples_become_plain_json():
    """Counts stay whole numbers, shares floats, flags booleans; a share that is not a number is null."""
    value = {"sites": np.int64(47), "share": np.float64(0.875), "proven": np.bool_(True), 3: (1, 2),
             "gap": float("nan"), "folder": Path("runs/a")}
    plain = to_jsonable(value)
    assert plain == {"sites": 47, "share": 0.875, "proven": True, "3": [1, 2], "gap": None, "folder": "runs/a"}
    assert type(plain["sites"]) is int and type(plain["proven"]) is bool
    assert json.loads(_json_for_script({"a": np.int32(2), "b": "</script>"})) == {"a": 2, "b": "</script>"}
    assert "</script>" not in _json_for_script({"b": "</script>"})
