"""The web app's client is typed from frontend/openapi.json; it must be the API's current contract."""

from __future__ import annotations

from api import openapi


def test_the_web_apps_copy_of_the_contract_is_current() -> None:
    assert openapi.SNAPSHOT.read_text() == openapi.render(), (
        "The API's contract changed: run `python -m api.openapi`, then `npm run build` in frontend/ "
        "to check the web app against it."
    )
