"""Station timetable from an XML feed."""

from fastapi import FastAPI
from lxml import etree

app = FastAPI()
FEED = etree.parse("/srv/app/timetable.xml")


def departures_query(station):
    return "//station[@code='" + station + "']/departure/@time"


@app.get("/stations/{station}/departures")
def departures(station: str):
    return {"times": [str(t) for t in FEED.xpath(departures_query(station))]}
