from tests.sales.conftest import customer, opportunity  # noqa: F401  (the same fixtures)
