"""Contacts: a phone written the Brazilian ways stored in E.164 with its wa.me link, an e-mail, clear
422s naming the field, never in the logs; and the per-customer data download (LGPD)."""

import json
import logging

import pytest

from customers_service.contacts import ContactError, email_address, phone_e164


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("(11) 98765-4321", "+5511987654321"),
        ("11 98765 4321", "+5511987654321"),
        ("11987654321", "+5511987654321"),
        ("011 98765-4321", "+5511987654321"),
        ("0xx11 98765-4321", "+5511987654321"),
        ("0 15 11 98765 4321", "+5511987654321"),
        ("+55 11 98765-4321", "+5511987654321"),
        ("55 (21) 3456-7890", "+552134567890"),
        ("(21) 3456.7890", "+552134567890"),
        ("+351 912 345 678", "+351912345678"),
    ],
)
def test_brazilian_ways_of_writing_a_phone(written, stored):
    assert phone_e164(written) == stored


@pytest.mark.parametrize(
    "written",
    ["123", "98765-4321", "(11) 8765-43210", "11 88765-4321", "(10) 3456-7890", "abc", "+12", "1" * 41],
)
def test_what_is_not_a_phone(written):
    with pytest.raises(ContactError):
        phone_e164(written)


def test_emails():
    assert email_address(" Maria.Silva+loja@Example.COM.br ") == "Maria.Silva+loja@example.com.br"
    for bad in ("maria", "a@b", "a b@c.com", "a@@b.com", "a@-b.com", "x" * 250 + "@b.com"):
        with pytest.raises(ContactError):
            email_address(bad)


async def test_create_read_change_and_clear_contacts(api, owner, caplog):
    caplog.set_level(logging.DEBUG)
    created = await api.create_customer(owner, phone="(11) 98765-4321", email="Ana@Loja.com")
    assert (created["phone"], created["email"]) == ("+5511987654321", "Ana@loja.com")
    assert created["whatsapp_url"] == "https://wa.me/5511987654321"
    listed = (await api.client.get("/customers", headers=owner.headers)).json()["items"][0]
    assert listed["whatsapp_url"] == "https://wa.me/5511987654321"

    changed = await api.client.patch(
        f"/customers/{created['id']}", json={"phone": "+55 21 3456-7890"}, headers=owner.headers
    )
    assert changed.json()["phone"] == "+552134567890"
    assert changed.json()["email"] == "Ana@loja.com"
    cleared = await api.client.patch(
        f"/customers/{created['id']}", json={"phone": None, "email": None}, headers=owner.headers
    )
    assert (cleared.json()["phone"], cleared.json()["email"], cleared.json()["whatsapp_url"]) == (
        None,
        None,
        None,
    )
    logged = "\n".join(
        record.getMessage() + json.dumps(record.__dict__, default=str) for record in caplog.records
    )
    for secret in ("98765", "987654321", "3456", "Ana@", "loja.com"):
        assert secret not in logged


@pytest.mark.parametrize(
    ("field", "value"), [("phone", "12345"), ("phone", "x" * 41), ("email", "not-an-email"), ("email", 42)]
)
async def test_bad_contacts_are_422_naming_the_field(api, owner, field, value):
    response = await api.client.post("/customers", json=api.payload(**{field: value}), headers=owner.headers)
    assert response.status_code == 422
    assert field in {str(part) for problem in response.json()["detail"] for part in problem["loc"]}


async def test_the_data_download_holds_everything_stored_about_the_customer(api, owner, other_owner):
    created = await api.create_customer(owner, phone="11987654321", external_id="C-9", observed_score=40)
    await api.client.patch(f"/customers/{created['id']}", json={"age": 44}, headers=owner.headers)
    await api.client.patch(f"/customers/{created['id']}", json={"observed_score": 55}, headers=owner.headers)

    response = await api.client.get(f"/customers/{created['id']}/data", headers=owner.headers)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert "attachment" in response.headers["content-disposition"]
    data = response.json()
    assert data["customer"]["phone"] == "+5511987654321"
    assert data["customer"]["external_id"] == "C-9"
    assert [prediction["age"] for prediction in data["predictions"]] == [31, 44]
    assert [entry["score"] for entry in data["observed_scores"]] == [40, 55]
    assert (
        await api.client.get(f"/customers/{created['id']}/data", headers=other_owner.headers)
    ).status_code == 404
