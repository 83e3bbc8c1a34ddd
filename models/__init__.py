"""SQLModel tables and the queries that need SQL. Importing this package registers every table."""

from models import announcements as announcements
from models import blobs as blobs
from models import consultations as consultations
from models import core as core
from models import desk as desk
from models import due as due
from models import feedback as feedback
from models import fields as fields  # (registers the length guard on every session)
from models import funding as funding
from models import joins as joins
from models import materials as materials
from models import meetings as meetings
from models import office_hours as office_hours
from models import outbox as outbox
from models import reports as reports
from models import secrets as secrets
from models import teams as teams
from models import trust as trust
from models import workplan as workplan
from models.db import Database as Database
