"""Settings from the environment: read when used, one rule for bad values.

Every ``ALLIANCE_GRAPH_*`` variable is read through these helpers at the moment its
value is needed (never at import, so importing a module cannot fail on a bad
setting). An unset or blank variable means the default; a value that does not fit
raises :class:`~graph.errors.ConfigError` naming the variable and the value, never a
silent fallback.

>>> env_number("ALLIANCE_GRAPH_X", 3.0, env={})
3.0
>>> env_number("ALLIANCE_GRAPH_X", 3.0, env={"ALLIANCE_GRAPH_X": "2.5"})
2.5
>>> env_int("ALLIANCE_GRAPH_X", 1, env={"ALLIANCE_GRAPH_X": "many"})
Traceback (most recent call last):
...
graph.errors.ConfigError: ALLIANCE_GRAPH_X must be a whole number, got 'many'
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping

from graph.errors import ConfigError

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _raw(name: str, env: Mapping[str, str] | None) -> str | None:
    value = (os.environ if env is None else env).get(name)
    if value is None or not value.strip():
        return None
    return value.strip()


def env_text(name: str, default: str | None = None, *, env: Mapping[str, str] | None = None) -> str | None:
    """The variable's text (stripped), or ``default`` when unset or blank."""
    value = _raw(name, env)
    return default if value is None else value


def env_number(
    name: str, default: float, *, env: Mapping[str, str] | None = None, minimum: float = 0.0
) -> float:
    """A finite number not below ``minimum``, or ``default`` when unset or blank."""
    value = _raw(name, env)
    if value is None:
        return default
    try:
        number = float(value)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise ConfigError(f"{name} must be a finite number, got {value!r}")
    if number < minimum:
        raise ConfigError(f"{name} must be at least {minimum:g}, got {value!r}")
    return number


def env_int(name: str, default: int, *, env: Mapping[str, str] | None = None, minimum: int = 0) -> int:
    """A whole number not below ``minimum``, or ``default`` when unset or blank."""
    value = _raw(name, env)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {value!r}") from None
    if number < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value!r}")
    return number


def env_flag(name: str, default: bool, *, env: Mapping[str, str] | None = None) -> bool:
    """1/true/yes/on or 0/false/no/off, or ``default`` when unset or blank."""
    value = _raw(name, env)
    if value is None:
        return default
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise ConfigError(f"{name} must be 1 or 0, got {value!r}")


def env_list(name: str, *, env: Mapping[str, str] | None = None, sep: str = ",") -> list[str]:
    """The variable split on ``sep``, blanks dropped (``[]`` when unset)."""
    value = _raw(name, env)
    return [] if value is None else [part.strip() for part in value.split(sep) if part.strip()]


__all__ = ["env_flag", "env_int", "env_list", "env_number", "env_text"]
