"""Query builders for the reporting service."""


def build_report_query(region: str) -> str:
    return "SELECT month, revenue FROM sales WHERE region = '" + region + "' ORDER BY month"
