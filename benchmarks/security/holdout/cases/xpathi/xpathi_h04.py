from fastapi import FastAPI, HTTPException
from lxml import etree

app = FastAPI()
CONFIG = etree.parse("/etc/app/settings.xml")

QUERIES = {
    "timeouts": "/settings/network/timeout/text()",
    "hosts": "/settings/network/host/@name",
    "features": "/settings/features/feature[@enabled='true']/@id",
}


@app.get("/settings/{section}")
def read_section(section: str):
    if section not in QUERIES:
        raise HTTPException(status_code=404, detail=f"unknown section {section}")
    expression = QUERIES[section]
    return {"section": section, "values": [str(v) for v in CONFIG.xpath(expression)]}
