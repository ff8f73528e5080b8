"""The database models; importing this package registers every table on ``Base``."""

from server.models.area import Area
from server.models.audit import AuditEvent, SyncCounter
from server.models.base import Base
from server.models.escrow import DeviceEscrow
from server.models.household import CaseloadAssignment, Household, Person
from server.models.job import Job
from server.models.lead import Lead
from server.models.policy import DevicePolicy, SchedulePolicy
from server.models.record import Interview, Visit
from server.models.roster import RosterImport
from server.models.sync import DeviceMutation, DeviceSync, IdempotentReply, Tombstone
from server.models.user import ConsoleSession, Device, LoginFailure, SignInAddress, User
from server.models.warning import Warning

__all__ = [
    "Area",
    "AuditEvent",
    "Base",
    "CaseloadAssignment",
    "ConsoleSession",
    "DeviceMutation",
    "DeviceSync",
    "Device",
    "DeviceEscrow",
    "DevicePolicy",
    "Household",
    "IdempotentReply",
    "Interview",
    "Job",
    "Lead",
    "LoginFailure",
    "Person",
    "RosterImport",
    "SchedulePolicy",
    "SignInAddress",
    "SyncCounter",
    "Tombstone",
    "User",
    "Visit",
    "Warning",
]
