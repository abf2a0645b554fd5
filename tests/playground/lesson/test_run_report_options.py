"""`oauth-playground run` in class: `--brief`, `--step N`, tokens that copy
whole, and one-line refusals of what a lesson cannot do (exit code 2)."""

from __future__ import annotations

import json
from pathlib import Path

import jwt
import pytest

from playground.cli import main

LESSONS = Path(__file__).resolve().parents[3] / "lessons"
CODE_LESSON = LESSONS / "02_authorization_code.py"
GRANT_LESSON = LESSONS / "01_client_credentials.py"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["run", *args])
    out, err = capsys.readouterr()
    return code, out, err


def issued_access_token(out: str) -> str:
    """The access token of the token response, read from its one-line body."""
    body = next(line for line in out.splitlines() if '"access_token"' in line)
    return json.loads(body.strip())["access_token"]


def test_brief_shows_the_oauth_messages_and_no_pages(capsys) -> None:
    code, out, _ = run(capsys, str(CODE_LESSON), "--brief")
    assert code == 0
    lines = [line.strip() for line in out.splitlines()]
    assert "Browser -> Client: GET https://photoprint.test/login" in out
    token_request = lines.index(
        next(
            line
            for line in lines
            if line.endswith("POST https://auth.photos.test/token")
        )
    )
    # The credential, the form and the answer of the back-channel request.
    assert lines[token_request + 1].startswith("Authorization: Basic ")
    form = lines[token_request + 2]
    assert form.startswith("grant_type=authorization_code&code=")
    assert "&code_verifier=" in form
    assert lines[token_request + 3] == "<- 200 OK"
    assert any(
        line.startswith(
            "<- 302 Found  Location: https://photoprint.test/callback?code="
        )
        for line in lines
    )
    # Pages and ordinary headers are left out; their size says they were there.
    assert "<!doctype" not in out.lower() and "<style>" not in out
    assert "User-Agent:" not in out and "Sec-Fetch-Mode:" not in out
    assert "(text/html, " in out
    assert "[PASS] it carried the code verifier" in out
    assert out.rstrip().endswith("6/6 steps run, 22/22 checks passed")


def test_brief_prints_each_jwt_on_one_line_with_its_claims(capsys) -> None:
    _, out, _ = run(capsys, str(CODE_LESSON), "--brief")
    token = issued_access_token(out)
    lines = out.splitlines()
    at = lines.index(f"    {token}")  # the whole token, alone on its line
    assert lines[at - 1] == "JWT: access_token in the response to POST /token"
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["sub"] == "u-1001" and claims["client_id"] == "photoprint"
    shown = lines[at + 1 : at + 20]
    assert f'    sub: "{claims["sub"]}"' in shown
    assert f"    exp: {claims['exp']}" in shown
    assert any(line.startswith("    verification: VALID - ") for line in shown)


def test_full_report_keeps_every_token_and_url_on_one_line(capsys) -> None:
    code, out, _ = run(capsys, str(CODE_LESSON))
    assert code == 0
    token = issued_access_token(out)
    assert f"    {token}" in out.splitlines()  # under its JWT heading
    # The authorization request's URL is not cut at the report's width.
    redirect = next(
        line for line in out.splitlines() if "Location: https://auth." in line
    )
    assert redirect.rstrip().endswith("&code_challenge_method=S256")
    assert max(len(line) for line in out.splitlines()) > 200


def test_step_shows_that_step_alone(capsys) -> None:
    code, out, _ = run(capsys, str(CODE_LESSON), "--step", "4")
    assert code == 0
    assert "Step 4/6: Alice approves: a code comes back through the browser" in out
    for other in (1, 2, 3, 5, 6):
        assert f"Step {other}/6:" not in out
    # Steps 1 to 3 ran (there is a consent page to approve), unshown.
    assert "POST /consent HTTP/1.1" in out and "GET /login HTTP/1.1" not in out
    assert out.rstrip().endswith("step 4/6: 3/3 checks passed")
    assert "How to defend" not in out


def test_step_as_json_holds_that_steps_exchanges_and_checks(capsys) -> None:
    code, out, _ = run(capsys, str(CODE_LESSON), "--step", "5", "--json")
    assert code == 0
    document = json.loads(out)
    assert document["step"] == 5 and document["steps_run"] == 5
    assert {e["step"] for e in document["exchanges"]} == {5}
    assert [e["request"]["url"] for e in document["exchanges"]][1] == (
        "https://auth.photos.test/token"
    )
    assert {c["step"] for c in document["checks"]} == {5}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--until", "7"], "--until 7: {file} has steps 1 to 6"),
        (["--until", "-1"], "--until -1: {file} has steps 1 to 6"),
        (["--step", "0"], "--step 0: {file} has steps 1 to 6"),
        (["--step", "12"], "--step 12: {file} has steps 1 to 6"),
        (
            ["--defended"],
            "--defended turns an attack lesson's weakness off, and {file} "
            "is a grant lesson that turns on none",
        ),
    ],
)
def test_what_a_lesson_cannot_do_is_one_line_and_exit_2(
    capsys, args: list[str], message: str
) -> None:
    code, out, err = run(capsys, str(CODE_LESSON), *args)
    assert code == 2
    assert out == ""
    assert err == f"oauth-playground run: error: {message.format(file=CODE_LESSON)}\n"


def test_until_the_last_step_and_until_zero_are_allowed(capsys) -> None:
    code, out, _ = run(capsys, str(GRANT_LESSON), "--until", "5", "--brief")
    assert code == 0 and out.rstrip().endswith("5/5 steps run, 16/16 checks passed")
    code, out, _ = run(capsys, str(GRANT_LESSON), "--until", "0")
    assert code == 0 and "0/5 steps run" in out and "Step 1/5" not in out


@pytest.mark.parametrize(
    "args", [["--step", "2", "--until", "3"], ["--brief", "--json"]]
)
def test_options_that_exclude_each_other_are_refused_by_name(
    capsys, args: list[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["run", str(GRANT_LESSON), *args])
    assert exited.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("lesson", "heading", "part"),
    [
        ("12_personal_access_tokens.py", "Personal access tokens", "photos_pat_"),
        ("11_token_exchange.py", "Token exchange (RFC 8693)", "subject_token_type"),
    ],
)
def test_the_handout_keeps_the_panels_of_pats_and_token_exchange(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    lesson: str,
    heading: str,
    part: str,
) -> None:
    handout = tmp_path / "handout.html"
    code = main(["run", str(LESSONS / lesson), "--brief", "--html", str(handout)])
    capsys.readouterr()
    assert code == 0
    page = handout.read_text("utf-8")
    assert f"<h3>{heading}</h3>" in page
    assert part in page


@pytest.mark.parametrize("option", ["--html", "--dot", "--svg"])
def test_an_output_file_that_cannot_be_written_is_one_line_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str
) -> None:
    target = tmp_path / "no-such-folder" / "out"
    code = main(["run", str(GRANT_LESSON), "--brief", option, str(target)])
    err = capsys.readouterr().err
    assert code == 1
    assert f"cannot write {target}: No such file or directory" in err
    assert "Traceback" not in err
