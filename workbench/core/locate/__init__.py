"""The first diverging node (``validate --locate``): see :mod:`workbench.core.locate.search`."""

from workbench.core.locate.hooks import hooked
from workbench.core.locate.scopes import _inherit, node_module
from workbench.core.locate.search import locate

__all__ = ["hooked", "locate", "node_module", "_inherit"]
