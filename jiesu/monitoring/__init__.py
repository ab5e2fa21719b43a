"""Demand monitoring (需求动态监测): hot issues and trending keywords from recent appeals."""
