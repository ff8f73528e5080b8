"""Roster import: the monitored population's spreadsheet, checked as a whole, then upserted."""

# plan.check reads and checks every row (the dry run); write.import_roster writes a plan
# without a refused row, set-wise.

from server.services.roster.plan import Plan, RowResult, check
from server.services.roster.reading import Table, read_table
from server.services.roster.write import Outcome, import_roster

__all__ = ["Outcome", "Plan", "RowResult", "Table", "check", "import_roster", "read_table"]
