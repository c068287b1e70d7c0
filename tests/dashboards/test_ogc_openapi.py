"""The OGC API against its own OpenAPI document (``/ogc/api``): schemathesis generates requests for
every operation on the live small city and checks every answer (no server error, a documented status
and media type). Bounded: a few examples per operation."""

from __future__ import annotations

import hypothesis
import schemathesis
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from tests.auth_support import token_on

EXAMPLES = 8


def test_the_ogc_api_keeps_to_its_document(live_city: str, small_city_url: str) -> None:
    auth = {"Authorization": f"Bearer {token_on(small_city_url, 'ogc-schema')}"}
    schema = schemathesis.openapi.from_url(f"{live_city}/ogc/api", headers=auth)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {o.path for o in operations} >= {
        "/collections/{collectionId}/items",
        "/collections/{collectionId}/items/{featureId}",
        "/collections/{collectionId}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}",
    }
    # Valid-looking values the server refuses with its documented 400 (a bbox upside down, a
    # datetime that is no day) and a limit above the maximum it takes as the maximum (as OGC API -
    # Features requires) are not failures.
    excluded = [positive_data_acceptance, negative_data_rejection]
    for operation in operations:

        @hypothesis.settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(hypothesis.HealthCheck),
        )
        @hypothesis.given(case=operation.as_strategy())
        def run(case: schemathesis.Case) -> None:
            case.call_and_validate(base_url=f"{live_city}/ogc", headers=auth, excluded_checks=excluded)

        run()
