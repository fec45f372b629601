"""The simulated NFVI behind the lab: capacity accounting and addresses per site.

A site is a VIM account of the lab file; an instantiation that does not fit fails as an OpenStack
quota error would, and frees nothing it did not take. VIM accounts POSTed without a lab site have
no capacity limit.
"""

from __future__ import annotations

import ipaddress
import threading
from dataclasses import dataclass, field

from placement.model import RESOURCES, Lab, Resources

_QUOTA = {"vcpu": "cores", "ram_gb": "ram (GB)", "disk_gb": "disk (GB)"}


class CapacityError(Exception):
    """The site cannot host the requested resources."""


@dataclass
class SiteState:
    """Capacity, what is in use, and the site's address pool."""

    name: str
    capacity: Resources | None
    used: Resources
    network: ipaddress.IPv4Network
    next_host: int = 10
    up: bool = True


@dataclass
class Nfvi:
    """All sites of the lab; thread-safe allocation and release."""

    sites: dict[str, SiteState] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def from_lab(cls, lab: Lab | None) -> Nfvi:
        """Sites with the lab's capacities and usage; address pools 10.<n>.0.0/16."""
        nfvi = cls()
        for index, site in enumerate(lab.sites if lab else ()):
            nfvi.sites[site.name] = SiteState(
                site.name,
                site.capacity,
                site.used,
                ipaddress.IPv4Network(f"10.{100 + index}.0.0/16"),
            )
        return nfvi

    def site(self, name: str) -> SiteState:
        """The state of site ``name``, created unlimited when the lab did not define it."""
        with self.lock:
            if name not in self.sites:
                index = 200 + len(self.sites) % 50
                self.sites[name] = SiteState(
                    name, None, Resources(), ipaddress.IPv4Network(f"10.{index}.0.0/16")
                )
            return self.sites[name]

    def allocate(self, name: str, amount: Resources) -> None:
        """Take ``amount`` on site ``name`` or raise CapacityError with a quota message."""
        site = self.site(name)
        with self.lock:
            if not site.up:
                raise CapacityError(f"VIM {name} is not reachable")
            if site.capacity is not None:
                for r in RESOURCES:
                    if site.used.get(r) + amount.get(r) > site.capacity.get(r) + 1e-9:
                        raise CapacityError(
                            f"Quota exceeded for {_QUOTA[r]}: Requested {amount.get(r):g}, but "
                            f"already used {site.used.get(r):g} of {site.capacity.get(r):g}"
                        )
            site.used = site.used + amount

    def release(self, name: str, amount: Resources) -> None:
        """Give back what :meth:`allocate` took."""
        site = self.site(name)
        with self.lock:
            site.used = Resources(*(max(0.0, site.used.get(r) - amount.get(r)) for r in RESOURCES))

    def restore(self, name: str, used: Resources, addresses: list[str]) -> None:
        """Account for an allocation made before a restart (no capacity check: it exists)."""
        site = self.site(name)
        with self.lock:
            site.used = site.used + used
            for text in addresses:
                address = ipaddress.IPv4Address(text)
                if address in site.network:
                    offset = int(address) - int(site.network.network_address)
                    site.next_host = max(site.next_host, offset + 1)

    def address(self, name: str) -> str:
        """A fresh IP address from the site's pool."""
        site = self.site(name)
        with self.lock:
            address = site.network.network_address + site.next_host
            site.next_host += 1
            return str(address)
