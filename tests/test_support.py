"""The shared test tools themselves: a query count that saw nothing would make every
"constant number of queries" test pass."""

from tests import factories
from ticketdesk.models import Role


def test_the_query_counter_records_what_a_request_runs_and_only_inside_its_block(
    query_counter, login, make_user
):
    client = login(make_user(Role.LEAD))
    with query_counter() as queries:
        assert client.get("/tickets/").status_code == 200
    seen = queries.count
    assert seen == len(queries.statements) > 0
    assert any(s.lstrip().upper().startswith("SELECT") for s in queries.statements)
    assert client.get("/tickets/").status_code == 200
    assert queries.count == seen  # the listener is gone once the block ends


def test_the_query_counter_counts_service_calls_in_an_outer_context(ctx, query_counter):
    with query_counter() as queries:
        factories.make_user(Role.AGENT)
    assert queries.count >= 1
    assert any("INSERT INTO users" in s for s in queries.statements)
