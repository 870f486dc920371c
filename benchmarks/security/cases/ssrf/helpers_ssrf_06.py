"""URLs of the partner APIs."""


def partner_endpoint(region, path):
    return "https://" + region + ".partner-api.example/" + path.lstrip("/")
