"""The README's tables of weaknesses and demo clients, generated from the code.

`python scripts/readme_tables.py` prints them; a test fails when the README
drifts from the registry, so a weakness is described in one place only.
"""

from __future__ import annotations

from mock_servers.demo import CLIENTS, SCOPES, USERS
from mock_servers.weaknesses import REGISTRY


def weaknesses_table() -> str:
    rows = ["| weakness | what it makes careless | spec |", "| --- | --- | --- |"]
    rows += [f"| `{w.name}` | {w.description} | {w.spec} |" for w in REGISTRY]
    return "\n".join(rows)


def clients_table() -> str:
    rows = [
        "| client id | type | secret | redirect URIs | grants |",
        "| --- | --- | --- | --- | --- |",
    ]
    for client in CLIENTS:
        secret = f"`{client.client_secret}`" if client.client_secret else "(public)"
        if client.uses_private_key_jwt:
            secret += " or private_key_jwt"
        redirects = "<br>".join(f"`{uri}`" for uri in client.redirect_uris) or "-"
        grants = ", ".join(client.grant_types) or "(introspection only)"
        rows.append(
            f"| `{client.client_id}` | {client.client_type} | {secret} "
            f"| {redirects} | {grants} |"
        )
    return "\n".join(rows)


def users_line() -> str:
    return ", ".join(f"`{u.username}` / `{u.password}`" for u in USERS)


def scopes_line() -> str:
    return ", ".join(f"`{scope}`" for scope in SCOPES)


if __name__ == "__main__":
    print(weaknesses_table(), clients_table(), users_line(), scopes_line(), sep="\n\n")
