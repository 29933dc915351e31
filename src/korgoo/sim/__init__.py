"""The simulator: Bishkek, people's days, GPS noise, the pilot data set, event streams."""

from korgoo.sim.load import synthetic_load
from korgoo.sim.population import Population, pilot_population
from korgoo.sim.scenario import scenario_events
from korgoo.sim.stream import IncidentPlan, TrueFix, scripted_incidents, simulate

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
