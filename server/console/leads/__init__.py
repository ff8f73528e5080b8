"""Console pages for leads (走访发现): the queue and one lead's decision."""
