"""osm-locus: ETSI OSM extension bundle for LOCUS localization and Smart City services.

Scripts use :func:`connect`, :func:`deploy`, :func:`action` and :func:`terminate`, as the CLI
does; see :mod:`osm_locus.api`.
"""

__version__ = "0.1.0"

# Bound after the submodules are loaded, so ``osm_locus.deploy`` is the function, not the module.
from osm_locus.api import action, connect, deploy, find_ns, terminate

__all__ = ["__version__", "action", "connect", "deploy", "find_ns", "terminate"]
