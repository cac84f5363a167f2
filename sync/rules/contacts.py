from ..pairs.contacts import CONTACTS as RULES  # noqa: F401  TEMPORARY
