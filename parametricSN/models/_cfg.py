"""Reading the config keys the models use, tolerant of partial dicts.

``parametricSN.config`` hands us a validated dict with every default filled; a researcher calling
``build_model`` by hand may pass only the sections they care about; missing keys take the config's
own defaults (``parametricSN.config.DEFAULTS``), the one place they are written down.
"""

from __future__ import annotations

from typing import Any, Mapping

from parametricSN.config import DEFAULTS as _DEFAULTS


def cfg_value(cfg: Mapping[str, Any] | None, section: str, key: str) -> Any:
    """cfg[section][key], or its default when the section or key is absent."""
    sect = (cfg or {}).get(section) or {}
    if key in sect:
        return sect[key]
    return _DEFAULTS[section][key]
