"""Which carrier serves a number: the longest matching number prefix, else its country, else
the default. A route may name several carriers in order: the first one that is up takes the
traffic, so a carrier that cannot bind hands its destinations to the next."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from smscast.carriers.base import Carrier
from smscast.errors import ConfigError


def _names(value: str | Sequence[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


class Router:
    def __init__(
        self,
        carriers: Mapping[str, Carrier],
        routes: Mapping[str, str | Sequence[str]],
        default: str | Sequence[str],
    ) -> None:
        wanted = {n for v in routes.values() for n in _names(v)} | set(_names(default))
        unknown = sorted(wanted - set(carriers))
        if unknown:
            raise ConfigError(f"routes name carriers that are not configured: {', '.join(unknown)}")
        self.carriers = dict(carriers)
        self._default = [carriers[n] for n in _names(default)]
        self._countries = {
            k.upper(): [carriers[n] for n in _names(v)]
            for k, v in routes.items()
            if not k.startswith("+")
        }
        # Longest prefix first, so "+30690" beats "+3069".
        self._prefixes = sorted(
            ((k, [carriers[n] for n in _names(v)]) for k, v in routes.items() if k.startswith("+")),
            key=lambda item: -len(item[0]),
        )

    def prefixes(self) -> list[str]:
        """The number prefixes that have routes of their own."""
        return [prefix for prefix, _ in self._prefixes]

    def candidates(self, mobile: str, country: str) -> list[Carrier]:
        for prefix, carriers in self._prefixes:
            if mobile.startswith(prefix):
                return carriers
        return self._countries.get(country, self._default)

    def route(self, mobile: str, country: str) -> Carrier:
        """The first carrier of the route that is up; the first of all when none is (its
        submit then asks the message to wait, until its TTL)."""
        carriers = self.candidates(mobile, country)
        return next((c for c in carriers if c.available()), carriers[0])


def merged_routes(
    routes: Mapping[str, str | Sequence[str]], served: Mapping[str, tuple[int, Sequence[str]]]
) -> dict[str, list[str]]:
    """The routes table with each carrier's own ``countries``/``prefixes`` added after the
    explicit entries, by priority (lower first). ``served``: name → (priority, keys)."""
    merged = {key: _names(value) for key, value in routes.items()}
    for name, (_, keys) in sorted(served.items(), key=lambda item: (item[1][0], item[0])):
        for key in keys:
            key = key if key.startswith("+") else key.upper()
            names = merged.setdefault(key, [])
            if name not in names:
                names.append(name)
    return merged
