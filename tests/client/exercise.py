"""Drives the server through a client generated from the committed OpenAPI document.

Usage: python exercise.py BASE_URL USERNAME PASSWORD (the generated `sgh_client` package on the path).
Each call must reach its own route: a lost or mixed-up operation fails here.
"""

import sys
from uuid import UUID

from sgh_client import AuthenticatedClient, Client
from sgh_client.api.admin import admin_get_own_account, admin_list_staff, admin_sign_in
from sgh_client.api.campaigns import (
    admin_add_gift,
    admin_create_campaign,
    admin_get_campaign,
    admin_list_campaigns,
    admin_raise_campaign_budget,
    member_list_campaigns,
)
from sgh_client.api.operations import get_health
from sgh_client.models import CreateCampaign, CreateGift, LoginRequest, SetBudget


def main() -> None:
    base, username, password = sys.argv[1:4]
    anonymous = Client(base_url=base)
    assert get_health.sync(client=anonymous).status == "ok"

    session = admin_sign_in.sync(client=anonymous, body=LoginRequest(username=username, password=password))
    staff = AuthenticatedClient(base_url=base, token=session.access_token)
    assert admin_get_own_account.sync(client=staff).username == username
    assert any(u.username == username for u in admin_list_staff.sync(client=staff).items)

    body = CreateCampaign(title="国庆会员有礼", holiday="national_day", starts_at="2031-10-01T10:00:00",
                          ends_at="2031-10-07T22:00:00", per_member_limit=1, budget_fen=1_000_000)
    created = admin_create_campaign.sync_detailed(client=staff, body=body)
    assert created.status_code == 201, created.content
    campaign = created.parsed
    gift = CreateGift(name="月饼礼盒", unit_cost_fen=8_800, stock=100, per_member_limit=1,
                      valid_until="2031-10-31", funder="union")
    added = admin_add_gift.sync_detailed(id=UUID(str(campaign.id)), client=staff, body=gift)
    assert added.status_code == 201, added.content

    fetched = admin_get_campaign.sync(id=UUID(str(campaign.id)), client=staff)
    assert fetched.id == campaign.id and len(fetched.gifts) == 1, fetched
    assert any(c.id == campaign.id for c in admin_list_campaigns.sync(client=staff).items)
    raised = admin_raise_campaign_budget.sync(id=UUID(str(campaign.id)), client=staff,
                                              body=SetBudget(budget_fen=2_000_000))
    assert raised.budget_fen == 2_000_000, raised

    # A staff token is no member token: the member route answers with its documented 401 problem.
    refused = member_list_campaigns.sync_detailed(client=staff)
    assert refused.status_code == 401, refused.status_code
    assert refused.parsed.code == "auth.invalid_token", refused.parsed
    print("generated client: every call reached its route")


if __name__ == "__main__":
    main()
