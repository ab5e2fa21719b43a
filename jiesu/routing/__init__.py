"""Smart routing (智能分拨): text → category, subcategory, lead department, confidence."""

from jiesu.routing.router import CONFIDENCE_THRESHOLD, Route, route

__all__ = ["CONFIDENCE_THRESHOLD", "Route", "route"]
