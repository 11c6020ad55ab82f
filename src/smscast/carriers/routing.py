"""Which carrier serves a number: the longest matching number prefix, else its country,
else the default."""

from __future__ import annotations

from collections.abc import Mapping

from smscast.carriers.base import Carrier
from smscast.errors import ConfigError


class Router:
    def __init__(
        self, carriers: Mapping[str, Carrier], routes: Mapping[str, str], default: str
    ) -> None:
        unknown = sorted({*routes.values(), default} - set(carriers))
        if unknown:
            raise ConfigError(f"routes name carriers that are not configured: {', '.join(unknown)}")
        self.carriers = dict(carriers)
        self._default = carriers[default]
        self._countries = {
            k.upper(): carriers[v] for k, v in routes.items() if not k.startswith("+")
        }
        # Longest prefix first, so "+30690" beats "+3069".
        self._prefixes = sorted(
            ((k, carriers[v]) for k, v in routes.items() if k.startswith("+")),
            key=lambda item: -len(item[0]),
        )

    def route(self, mobile: str, country: str) -> Carrier:
        for prefix, carrier in self._prefixes:
            if mobile.startswith(prefix):
                return carrier
        return self._countries.get(country, self._default)
