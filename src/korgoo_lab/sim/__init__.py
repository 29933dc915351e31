"""The simulator: Bishkek, people's days, GPS noise, the pilot data set, event streams."""

from korgoo_lab.sim.load import synthetic_load
from korgoo_lab.sim.population import Population, pilot_population
from korgoo_lab.sim.scenario import scenario_events
from korgoo_lab.sim.stream import IncidentPlan, TrueFix, scripted_incidents, simulate

__all__ = [
    "IncidentPlan",
    "Population",
    "TrueFix",
    "pilot_population",
    "scenario_events",
    "scripted_incidents",
    "simulate",
    "synthetic_load",
]
