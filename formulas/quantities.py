"""Every quantity of the graph, registered by importing the domain modules that define
them (in :data:`~xlplugin.formulas.graph.DOMAINS` order)."""

from . import bandwidth, cost, inference, lookups, serving, storage, traffic

__all__ = ["bandwidth", "cost", "inference", "lookups", "serving", "storage", "traffic"]
