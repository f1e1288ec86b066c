"""Researchers' own code, named on the command line: ``module:attribute`` or ``file.py:attribute``.

Used by ``python -m parametricSN train --head …`` and by every experiment script's ``--head`` /
``--recipe`` options, so that a new head or recipe needs no edit to this package.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from typing import Any, List, Sequence

from parametricSN.errors import UserError


def load_object(spec: str) -> Any:
    """``"package.module:attr"`` or ``"path/to/file.py:attr"`` -> the attribute."""
    if ":" not in spec:
        raise ValueError(f"expected 'module:attribute' or 'file.py:attribute', got {spec!r}")
    module_name, attr = spec.rsplit(":", 1)
    if module_name.endswith(".py"):
        path = Path(module_name).resolve()
        if not path.is_file():
            raise ValueError(f"plugin file {module_name!r} does not exist")
        name = f"_psn_plugin_{path.stem}"
        module = sys.modules.get(name)
        if module is None:
            spec_ = importlib.util.spec_from_file_location(name, path)
            module = importlib.util.module_from_spec(spec_)
            sys.modules[name] = module
            spec_.loader.exec_module(module)
    else:
        module = importlib.import_module(module_name)
    try:
        return getattr(module, attr)
    except AttributeError:
        raise ValueError(f"{module_name!r} has no attribute {attr!r}") from None


def register_plugins(plugins: Sequence[str]) -> List[str]:
    """Register each ``"name=module:builder"`` head spec; returns the registered names."""
    if not plugins:
        return []
    from parametricSN.models import register_head

    names = []
    for plugin in plugins:
        name, _, target = plugin.partition("=")
        builder = load_object(target)
        register_head(name, replace=True)(builder)
        names.append(name)
    return names


def head_plugin(spec: str | None) -> str | None:
    """``"[NAME=]module:attr"`` -> ``"name=module:attr"`` (NAME defaults to the attribute name)."""
    if not spec:
        return None
    name, sep, target = spec.partition("=")
    if not sep:
        name, target = "", spec
    if ":" not in target:
        raise UserError(f"--head {spec!r}: expected [NAME=]MODULE:BUILDER, e.g. --head mypkg.heads:my_head")
    name = (name or target.rsplit(":", 1)[1]).strip().lower()
    return f"{name}={target}"


def register_head_option(spec: str | None) -> tuple[str, ...]:
    """Register the head a ``--head [NAME=]module:builder`` option names (in this process);
    returns the plugin specs to register again in workers (empty without the option)."""
    plugin = head_plugin(spec)
    plugins = (plugin,) if plugin else ()
    try:
        register_plugins(plugins)
    except (ValueError, ImportError) as error:
        raise UserError(f"--head {spec!r}: {error}") from None
    return plugins
