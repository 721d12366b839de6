"""DELETE /owners/{owner_id}/customers: everything an account owned, for the auth service only."""

import uuid


async def test_the_auth_service_removes_everything_an_owner_had(api, owner, other_owner, new_owner):
    for _ in range(3):
        await api.create_customer(owner)
    kept = await api.create_customer(other_owner)
    service = new_owner(roles=("service",), subject="auth-service")

    response = await api.client.delete(f"/owners/{owner.id}/customers", headers=service.headers)

    assert response.status_code == 204
    assert (await api.client.get("/customers", headers=owner.headers)).json()["total"] == 0
    assert (await api.client.get("/dashboard", headers=owner.headers)).json()["total_customers"] == 0
    assert (await api.client.get(f"/customers/{kept['id']}", headers=other_owner.headers)).status_code == 200
    again = await api.client.delete(f"/owners/{owner.id}/customers", headers=service.headers)
    assert again.status_code == 204, "idempotent"


async def test_an_admins_token_or_another_services_token_may_not(api, owner, new_owner):
    """Issue 12 #2: wiping is decided by auth against its database (the caller's current rights), so
    a token alone, an admin's (perhaps demoted since) or the customers service's own, is not enough."""
    await api.create_customer(owner)
    admin = new_owner(roles=("admin", "user"))
    other_service = new_owner(roles=("service",), subject="service:customers")

    for caller in (admin, other_service):
        response = await api.client.delete(f"/owners/{owner.id}/customers", headers=caller.headers)
        assert response.status_code == 403
        assert response.json() == {"detail": "Only the auth service may do this"}
    assert (await api.client.get("/customers", headers=owner.headers)).json()["total"] == 1


async def test_owners_and_anonymous_callers_may_not(api, owner):
    await api.create_customer(owner)

    own = await api.client.delete(f"/owners/{owner.id}/customers", headers=owner.headers)
    anonymous = await api.client.delete(f"/owners/{owner.id}/customers")

    assert own.status_code == 403
    assert anonymous.status_code == 401
    assert (await api.client.get("/customers", headers=owner.headers)).json()["total"] == 1


async def test_a_malformed_owner_id_is_422(api, new_owner):
    service = new_owner(roles=("service",), subject="auth-service")
    assert (await api.client.delete("/owners/nope/customers", headers=service.headers)).status_code == 422
    unknown = await api.client.delete(f"/owners/{uuid.uuid4()}/customers", headers=service.headers)
    assert unknown.status_code == 204
