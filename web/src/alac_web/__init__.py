"""The ALAC web front end: server-rendered pages over the services' public HTTP APIs."""
