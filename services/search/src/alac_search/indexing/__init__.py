"""From events to index documents: the projector, and rebuilding from the event log."""
