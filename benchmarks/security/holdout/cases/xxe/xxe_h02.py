from fastapi import FastAPI, Request
from lxml import etree

app = FastAPI()


def parser_for_invoices():
    return etree.XMLParser(load_dtd=True, resolve_entities=True, no_network=False)


@app.post("/invoices/validate")
async def validate_invoice(request: Request):
    raw = await request.body()
    root = etree.fromstring(raw, parser=parser_for_invoices())
    total = sum(float(x) for x in root.xpath("//line/amount/text()"))
    return {"customer": root.findtext("customer"), "total": total}
