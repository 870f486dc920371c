"""Search filters for the people directory."""

PERSON_CLASS = "person"


def person_filter(attribute: str, value: str) -> str:
    return "(&(objectClass=%s)(%s=%s))" % (PERSON_CLASS, attribute, value)
