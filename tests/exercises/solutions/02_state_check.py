"""Reference solution: check state on the callback (RFC 6749 10.12).

Only the student's part: the tests splice it into the exercise
(`playground.lesson.grader.splice`), as `check --all` does a submission.
"""

import hmac


def state_matches(expected: str | None, received: str | None) -> bool:
    """Only the exact state this browser's session sent."""
    # RFC 6749 10.12: a callback without the state this session sent, or for
    # a session that sent none, is refused.
    if expected is None or received is None:
        return False
    return hmac.compare_digest(expected.encode(), received.encode())
