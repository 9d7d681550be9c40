"""The console's dashboard API and the Prometheus business metrics."""
