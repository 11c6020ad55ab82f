"""`smscast contacts import|export`: bulk CSV in and out, bad rows reported, round trip."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

CSV = '''mobile,firstName,lastName,email,vip,city,points
+306912345600,Μαρία,Παπαδοπούλου,maria@example.com,true,Αθήνα,5
+30 691 234 5601,Jean-Luc,Picard,,no,"Paris, FR",
+306912345600,,Updated,,,,7
12345,Bad,Number,,,,
+306912345602,Bad,Email,nope,,,
+306912345603,"Quoted ""name""",X,,,,

+4915112345678,Hans,Müller,,1,Berlin,
+4915112345679,Too,Many,,,,,extra
'''


def rows(text: str) -> list[dict[str, str]]:
    return sorted(csv.DictReader(io.StringIO(text)), key=lambda r: r["mobile"])


def test_import_reports_and_export_round_trips(smscast, tmp_path: Path):
    source = tmp_path / "contacts.csv"
    source.write_text(CSV, encoding="utf-8")
    smscast("account", "create", "acme")
    result = smscast("contacts", "import", "acme", str(source), "--group", "Customers")
    assert "created 4, updated 0, duplicates 1, invalid 3" in result.stdout
    assert "new labels (Text): city, points" in result.stdout
    assert "new group: Customers" in result.stdout
    assert "line 5: mobile '12345' is not a valid mobile number" in result.stderr
    assert "line 6: email: not an email address" in result.stderr
    assert "line 10: 8 cells where the header has 7" in result.stderr

    exported = smscast("contacts", "export", "acme").stdout
    assert rows(exported) == [
        {"mobile": "+306912345600", "firstName": "Μαρία", "lastName": "Updated",
         "email": "maria@example.com", "vip": "true", "country": "GR", "city": "Αθήνα",
         "points": "7"},
        {"mobile": "+306912345601", "firstName": "Jean-Luc", "lastName": "Picard", "email": "",
         "vip": "false", "country": "GR", "city": "Paris, FR", "points": ""},
        {"mobile": "+306912345603", "firstName": 'Quoted "name"', "lastName": "X", "email": "",
         "vip": "false", "country": "GR", "city": "", "points": ""},
        {"mobile": "+4915112345678", "firstName": "Hans", "lastName": "Müller", "email": "",
         "vip": "true", "country": "DE", "city": "Berlin", "points": ""},
    ]  # fmt: skip
    in_group = smscast("contacts", "export", "acme", "--group", "Customers").stdout
    assert rows(in_group) == rows(exported)

    # The export imports into another account unchanged.
    copy = tmp_path / "copy.csv"
    copy.write_text(exported, encoding="utf-8")
    smscast("account", "create", "beta")
    again = smscast("contacts", "import", "beta", str(copy))
    assert "created 4, updated 0, duplicates 0, invalid 0" in again.stdout
    assert rows(smscast("contacts", "export", "beta").stdout) == rows(exported)

    # Importing the same file twice converges: everything is an update.
    twice = smscast("contacts", "import", "acme", str(source), "--group", "Customers")
    assert "created 0, updated 4, duplicates 1, invalid 3" in twice.stdout
    assert rows(smscast("contacts", "export", "acme").stdout) == rows(exported)


def test_import_errors(smscast, tmp_path: Path):
    smscast("account", "create", "acme")
    no_mobile = tmp_path / "no_mobile.csv"
    no_mobile.write_text("firstName\nMaria\n")
    result = smscast("contacts", "import", "acme", str(no_mobile), check=False)
    assert result.returncode == 1
    assert result.stderr.strip() == "error: header: mobile: the header has no mobile column"
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert smscast("contacts", "import", "acme", str(empty), check=False).returncode == 1
    missing = smscast("contacts", "import", "acme", str(tmp_path / "nope.csv"), check=False)
    assert missing.stderr.startswith("error: cannot read")
    unknown_group = smscast("contacts", "export", "acme", "--group", "Nope", check=False)
    assert unknown_group.returncode == 1
    assert "Group Nope not found" in unknown_group.stderr


def test_number_labels_are_validated_on_import(smscast, tmp_path: Path):
    created = json.loads(smscast("account", "create", "acme", "--json").stdout)
    assert created["accountId"]
    first = tmp_path / "first.csv"
    first.write_text("mobile,points\n+306912345600,3\n")
    smscast("contacts", "import", "acme", str(first))
    # "points" now exists as a Text label, so any text is fine.
    second = tmp_path / "second.csv"
    second.write_text("mobile,points\n+306912345601,many\n")
    assert "invalid 0" in smscast("contacts", "import", "acme", str(second)).stdout


def test_unstorable_cells_are_bad_rows_not_a_failed_import(smscast, tmp_path: Path):
    smscast("account", "create", "acme")
    first = tmp_path / "labels.csv"
    first.write_text("mobile,points\n+306912345600,1\n")
    smscast("contacts", "import", "acme", str(first))
    source = tmp_path / "odd.csv"
    source.write_text(
        "mobile,firstName\n+306912345601,ok\n+306912345602,nul\x00here\n+306912345603,fine\n",
        encoding="utf-8",
    )
    result = smscast("contacts", "import", "acme", str(source))
    assert "created 2, updated 0, duplicates 0, invalid 1" in result.stdout
    assert "line 3: a cell holds a NUL" in result.stderr
    bad_group = smscast("contacts", "import", "acme", str(source), "--group", "a/b", check=False)
    assert bad_group.returncode == 1
    assert "group names are 1-100 characters" in bad_group.stderr
