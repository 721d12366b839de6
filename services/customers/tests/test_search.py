"""Search as people type: accents, case and punctuation ignored, word prefixes, external ids exactly,
and bounded so that no query costs much."""

import pytest

from customers_service.search_text import search_text, search_words

NAMES = ["João da Silva", "Maria da Conceição", "Zé Sá", "Mariana O'Brien-Øster", "SÃO PAULO Ltda."]


async def _names_found(api, owner, q: str) -> set[str]:
    response = await api.client.get("/customers", params={"q": q, "limit": 200}, headers=owner.headers)
    assert response.status_code == 200, response.text
    return {item["name"] for item in response.json()["items"]}


SEARCHES = [
    ("joao", {"João da Silva"}),
    ("JOAO SIL", {"João da Silva"}),
    ("conceicao", {"Maria da Conceição"}),
    ("conceição", {"Maria da Conceição"}),
    ("sa", {"Zé Sá", "SÃO PAULO Ltda."}),
    ("sá", {"Zé Sá", "SÃO PAULO Ltda."}),
    ("ze sa", {"Zé Sá"}),
    ("da", {"João da Silva", "Maria da Conceição"}),
    ("maria", {"Maria da Conceição", "Mariana O'Brien-Øster"}),
    ("maria conc", {"Maria da Conceição"}),
    ("o'brien", {"Mariana O'Brien-Øster"}),
    ("obrien", set()),
    ("oster", {"Mariana O'Brien-Øster"}),
    ("sao paulo", {"SÃO PAULO Ltda."}),
    ("ltda.", {"SÃO PAULO Ltda."}),
    ("silva joao", {"João da Silva"}),
    ("ana", set()),  # word starts only: not the end of "Mariana"
    ("!!!", set()),
]


async def test_accent_case_and_punctuation_insensitive_word_prefixes(api, owner):
    for name in NAMES:
        await api.create_customer(owner, name=name)

    found = {q: await _names_found(api, owner, q) for q, _ in SEARCHES}

    assert found == dict(SEARCHES)


async def test_an_external_id_matches_exactly(api, owner):
    await api.create_customer(owner, name="Ana", external_id="A-17")
    await api.create_customer(owner, name="Bruno", external_id="A-170")

    assert await _names_found(api, owner, "A-17") == {"Ana"}
    assert await _names_found(api, owner, " A-170 ") == {"Bruno"}
    assert await _names_found(api, owner, "a-1") == set()


async def test_a_renamed_customer_is_found_by_the_new_name_only(api, owner):
    created = await api.create_customer(owner, name="Antônio")
    await api.client.patch(f"/customers/{created['id']}", json={"name": "Benedita"}, headers=owner.headers)

    assert await _names_found(api, owner, "antonio") == set()
    assert await _names_found(api, owner, "benedita") == {"Benedita"}


async def test_external_ids_are_unique_per_owner_settable_and_removable(api, owner, other_owner):
    first = await api.create_customer(owner, external_id="K1")
    await api.create_customer(other_owner, external_id="K1")  # another owner's codes are theirs

    taken = await api.client.post("/customers", json=api.payload(external_id="K1"), headers=owner.headers)
    second = await api.create_customer(owner)
    patched = await api.client.patch(
        f"/customers/{second['id']}", json={"external_id": "K1"}, headers=owner.headers
    )
    removed = await api.client.patch(
        f"/customers/{first['id']}", json={"external_id": None}, headers=owner.headers
    )
    moved = await api.client.patch(
        f"/customers/{second['id']}", json={"external_id": "K1"}, headers=owner.headers
    )

    assert taken.status_code == patched.status_code == 409
    assert taken.json() == {"detail": "Another customer already has this external_id"}
    assert removed.json()["external_id"] is None
    assert moved.json()["external_id"] == "K1"


@pytest.mark.parametrize(
    ("q", "message"),
    [
        ("a b c d e f g h i", "at most 8 words"),
        ("x" * 201, "at most 200 characters"),
        ("ana\x00", "NUL"),
    ],
)
async def test_queries_are_bounded(api, owner, q, message):
    response = await api.client.get("/customers", params={"q": q}, headers=owner.headers)

    assert response.status_code == 422
    [problem] = response.json()["detail"]
    assert problem["loc"] == ["query", "q"]
    assert message in problem["msg"]


def test_names_and_queries_are_normalised_by_one_function():
    assert search_words("Conceição-Sá, O'Brien") == ["conceicao", "sa", "o", "brien"]
    assert search_text("  ÅSA   Øberg  straße ") == "asa oberg strasse"
