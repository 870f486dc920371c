"""Station timetable for the home station."""

from flask import Flask, request
from lxml import etree

app = Flask(__name__)
FEED = etree.parse("/srv/app/timetable.xml")


@app.route("/home/departures")
def home_departures():
    param = request.cookies.get("station", "")
    station = "CEN"
    if False:
        station = param
    times = FEED.xpath(f"//station[@code='{station}']/departure/@time")
    return {"times": [str(t) for t in times]}
