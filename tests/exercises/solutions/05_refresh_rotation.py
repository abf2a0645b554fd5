"""Reference solution: rotate refresh tokens, detect reuse (RFC 9700 4.14.2).

Only the student's part: the tests splice it into the exercise
(`playground.lesson.grader.splice`), as `check --all` does a submission.
"""

from playground import Refused


def refresh(token) -> None:
    """Rotate every good refresh token; a retired one revokes its grant."""
    if token.rotated:
        # RFC 9700 4.14.2: a retired token presented again means a breach;
        # which party sent it is unknown, so the whole grant goes.
        revoked = token.revoke_grant()
        raise Refused(
            f"The refresh token was already used: {revoked} token(s) of this "
            "grant are revoked."
        )
    if token.revoked:
        raise Refused("The refresh token has been revoked.")
    token.rotate()
