import logging
from typing import Annotated

from fastapi import FastAPI, Query

app = FastAPI()
logger = logging.getLogger("reports")


@app.get("/reports/bulk")
def bulk_reports(ids: Annotated[list[int] | None, Query()] = None, fmt: str = "pdf"):
    ids = ids or []
    export_format = fmt if fmt in ("pdf", "csv", "xlsx") else "pdf"
    logger.info("bulk export of %d reports as %s", len(ids), export_format)
    for report_id in ids:
        logger.debug("queueing report %d", report_id)
    return {"queued": len(ids), "format": export_format}
