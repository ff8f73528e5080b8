"""The supervisors' review of field records: queue, bulk approval, history, workflow."""
