"""The analytics service: statistics, dashboards, pattern alerts and the advocacy tracker."""

#: The service's name: its database, its consumer groups, the source of its events.
SERVICE = "analytics"
