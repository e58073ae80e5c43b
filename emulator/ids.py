"""Salesforce-looking record ids."""

_SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


def salesforce_id(prefix: str, number: int) -> str:
    """Build an 18-character id: key prefix, zero-padded number, case suffix.

    Choice: new ids carry a real case-safe suffix, while the seeded business
    unit ids keep the fixed "AAA" suffix they were given.
    """
    short = f"{prefix}{number:0{15 - len(prefix)}d}"
    return short + _case_suffix(short)


def _case_suffix(short: str) -> str:
    # Each five characters of the 15-character id give one suffix character
    # whose bits mark which of them are upper-case letters, as Salesforce does.
    suffix = ""
    for start in range(0, 15, 5):
        chunk = short[start : start + 5]
        bits = sum(1 << i for i, char in enumerate(chunk) if "A" <= char <= "Z")
        suffix += _SUFFIX_ALPHABET[bits]
    return suffix


def same_id(left: object, right: object) -> bool:
    """Whether two ids name the same record (15 and 18 characters both work)."""
    if not isinstance(left, str) or not isinstance(right, str):
        return False
    if len(left) not in (15, 18) or len(right) not in (15, 18):
        return left == right
    return left[:15] == right[:15]
