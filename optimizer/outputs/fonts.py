"""A font for Chinese text in figures, when the machine has one.

matplotlib's own fonts have no Chinese glyphs: Chinese labels drawn with them come out
as empty boxes. :func:`cjk_font` asks fontconfig (``fc-list :lang=zh``) for a font that
covers Chinese and registers it with matplotlib; without one, figures use English labels
and the caller warns.
"""
from __future__ import annotations

import functools
import logging
import shutil
import subprocess

log = logging.getLogger(__name__)


#: font families known to hold Chinese glyphs, tried first, in this order
CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
                "AR PL UMing CN", "AR PL UKai CN", "SimHei", "Microsoft YaHei", "PingFang SC", "Heiti SC",
                "Droid Sans Fallback")


@functools.lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The family name of a registered font that covers Chinese, or ``None`` when there is none.

    A family matplotlib already knows from :data:`CJK_FAMILIES` wins; otherwise the files
    fontconfig lists for Chinese are registered, regular weights and sans-serif first.
    """
    from matplotlib import font_manager

    known = {f.name for f in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in known:
            return family
    if shutil.which("fc-list") is None:
        return None
    try:
        out = subprocess.run(["fc-list", ":lang=zh", "--format", "%{file}\\n"], capture_output=True, text=True,
                             timeout=20, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    paths = [p.strip() for p in out.splitlines() if p.strip().lower().endswith((".ttf", ".otf", ".ttc"))]
    paths.sort(key=lambda p: ("regular" not in p.lower(), "serif" in p.lower(), p))
    for path in paths:
        try:
            font_manager.fontManager.addfont(path)
            name = font_manager.FontProperties(fname=path).get_name()
        except (OSError, RuntimeError, ValueError):
            continue
        log.debug("Chinese labels in figures use %s (%s)", name, path)
        return name
    return None


def figure_lang(lang: str) -> tuple[str, str | None, str | None]:
    """The language figures can be labelled in, the font to use, and a warning when it had to change.

    Returns
    -------
    tuple
        ``(lang, font family or None, warning or None)``: Chinese asked for and no Chinese
        font found gives ``("en", None, warning)``.
    """
    if lang != "zh":
        return lang, None, None
    font = cjk_font()
    if font is None:
        return "en", None, ("no font covering Chinese was found (fc-list :lang=zh), so the figure is labelled in "
                            "English; install e.g. fonts-noto-cjk for Chinese labels")
    return "zh", font, None
