"""User and photo ids that are valid in Graph and awkward for Table Storage keys.

The key encoding still encodes control characters, though the service refuses ids that hold
them; ``ACCEPTED_AWKWARD_IDS`` are the ones "Add photos" takes.
"""

from shared.models import MAX_ID_LENGTH, has_control_character

AWKWARD_IDS = [
    "alice_contoso.com#EXT#@fabrikam.onmicrosoft.com",
    "a/b",
    "a\\b",
    "what?",
    "#",
    "%",
    "%25",
    "%ģ",
    "ģ",
    "100%",
    "o'brien",
    "''",
    "tab\tand\nnewline",
    "\x00\x1f\x7f\x9f",
    "\u00a0",
    "é",
    "日本",
    "😀👩‍👩‍👧",
    " ",
    "acd7eace-eace-acd7-ceea-d7acceead7ac",
    "x" * 200,
    "#" * MAX_ID_LENGTH,
    "😀" * MAX_ID_LENGTH,
    "\x85" * MAX_ID_LENGTH,
    "\x00" * MAX_ID_LENGTH,
]

ACCEPTED_AWKWARD_IDS = [value for value in AWKWARD_IDS if not has_control_character(value)]
