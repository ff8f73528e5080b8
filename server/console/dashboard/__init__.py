"""The console's dashboard and its charts."""
