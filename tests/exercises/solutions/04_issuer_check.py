"""Reference solution: check iss on the authorization response (RFC 9207 2.4).

Only the student's part: the tests splice it into the exercise
(`playground.lesson.grader.splice`), as `check --all` does a submission.
"""

import hmac


def issuer_matches(expected: str, iss: str | None, server_sends_iss: bool) -> bool:
    """iss must name the server the sign-in started at."""
    if iss is None:
        # RFC 9207 2.4: a server that promises iss must send it.
        return not server_sends_iss
    # RFC 9207 2.4: simple string comparison with the expected issuer.
    return hmac.compare_digest(iss.encode(), expected.encode())
