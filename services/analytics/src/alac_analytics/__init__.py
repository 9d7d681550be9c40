"""Analytics: statistics, dashboards, pattern alerts, the advocacy tracker."""
