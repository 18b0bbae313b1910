"""The test CAS server's user database: a JSON file named by CAS_TEST_USERS,
{"<id>": {"password": "...", "attributes": {"cn": "...", "type": "staff"}}}."""

import json
import os

from cas_server.auth import AuthUser


def _users() -> dict:
    with open(os.environ["CAS_TEST_USERS"], encoding="utf-8") as f:
        return json.load(f)


class JsonUsers(AuthUser):
    def test_password(self, password):
        user = _users().get(self.username)
        return user is not None and password == user["password"]

    def attributs(self):
        return dict(_users().get(self.username, {}).get("attributes", {}))
