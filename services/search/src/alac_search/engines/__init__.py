"""Search engines behind one interface: the embedded SQLite FTS5 engine and OpenSearch."""
