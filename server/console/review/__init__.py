"""Console pages for reviewing field records: the queue, one record, bulk approval."""
