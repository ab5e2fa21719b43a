"""Smart routing (智能分拨): text → category, subcategory, lead department, confidence."""

from jiesu.routing.router import Guess, Route, route

__all__ = ["Guess", "Route", "route"]
