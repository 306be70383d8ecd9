"""The workshop hub's login: the names and passwords on the instructor's cards, nothing else.

Loaded by ``workshop/jupyterhub_config.py`` (as ``coursekit.instructor.hubauth.CardAuthenticator``); the hub's state holds only scrypt hashes.
"""
from __future__ import annotations

from jupyterhub.auth import Authenticator
from traitlets import Dict

from .cards import password_matches
from .warm import mark_arrived


class CardAuthenticator(Authenticator):
    """One account per card: an unknown name, or another learner's password, is refused."""

    accounts = Dict(config=True, help="user name -> scrypt hash of the password")

    async def authenticate(self, handler, data):
        name = self.normalize_username(str(data.get("username", "")))
        stored = self.accounts.get(name)
        if stored and password_matches(str(data.get("password", "")), stored):
            if not mark_arrived(name):   # a warm server waits for it (coursekit.instructor.warm)
                self.log.warning("could not note %s's arrival: their warm server stays until the workshop stops", name)
            return name
        self.log.warning("login refused for %r", name)
        return None
