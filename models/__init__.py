"""SQLModel tables and the queries that need SQL. Importing this package registers every table."""

from models import core as core
from models.db import Database as Database
