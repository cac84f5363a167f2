from ..pairs.products import PRODUCTS as RULES  # noqa: F401  TEMPORARY
