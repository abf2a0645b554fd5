"""Reference solution: close PhotoPrint's open redirector (RFC 9700 4.11.1).

Only the student's part: the tests splice it into the exercise
(`playground.lesson.grader.splice`), as `check --all` does a submission.
"""

from urllib.parse import urlsplit


def is_own_page(target: str) -> bool:
    """A path on this site: no scheme, no authority, one leading slash."""
    parts = urlsplit(target)
    return (
        not parts.scheme
        and not parts.netloc
        and target.startswith("/")
        and not target.startswith("//")
        # WHATWG URL: browsers read a backslash as a slash in http(s) URLs,
        # and drop tabs and newlines ("/\t/evil.example" is "//evil.example").
        and "\\" not in target
        and not any(ch in target for ch in "\t\r\n")
    )
