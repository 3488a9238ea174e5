"""The user table keeps the slots it has (issue 17): untouched slots are made when asked for, never by a login."""

from __future__ import annotations

import pytest

from bmc_sim.config import Privilege, UserConfig
from bmc_sim.session_commands import channel_auth_capabilities
from bmc_sim.users import UserStore
from tests.bmc_sim.test_device import make_bmc


def test_logins_and_capabilities_look_only_at_the_slots_that_exist() -> None:
    store = UserStore.from_config((UserConfig(2, "admin", "admin", Privilege.ADMINISTRATOR),), channel=1)
    assert store.find_by_name(b"admin") is store.get(2) and store.find_by_name(b"") is None
    assert [u.user_id for u in store.enabled_users()] == [2] and store.enabled_count() == 1
    bmc, _ = make_bmc()
    before = len(bmc.users._users)
    code, _ = channel_auth_capabilities(bmc.config, bmc.users, bytes([0x8E, 0x04]))
    assert code == 0 and len(bmc.users._users) == before  # a client's first question made no slot


def test_every_slot_is_there_when_asked_for_and_keeps_what_is_changed() -> None:
    store = UserStore(max_users=15)
    slots = list(store)
    assert [u.user_id for u in slots] == list(range(1, 16)) and not any(u.name or u.enabled for u in slots)
    free = next(u for u in store if u.user_id >= 2 and not u.name)  # as Redfish's account creation finds one
    free.name, free.enabled = b"operator", True
    assert store.find_by_name(b"operator") is store.get(2) and store.enabled_count() == 1
    with pytest.raises(KeyError):
        store.get(16)
