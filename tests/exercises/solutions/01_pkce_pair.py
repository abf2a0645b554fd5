"""Reference solution: make a PKCE pair (RFC 7636 4.1, 4.2).

Only the student's part: the tests splice it into the exercise
(`playground.lesson.grader.splice`), as `check --all` does a submission.
"""

import base64
import hashlib
import secrets


def make_pkce_pair() -> tuple[str, str]:
    """A fresh verifier from a secure generator, and its S256 challenge."""
    # RFC 7636 4.1: 32 octets from a secure generator, base64url: 43 characters.
    code_verifier = secrets.token_urlsafe(32)
    # RFC 7636 4.2: BASE64URL-ENCODE(SHA256(ASCII(code_verifier))), no padding.
    digest = hashlib.sha256(code_verifier.encode("ascii")).digest()
    code_challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    return code_verifier, code_challenge
