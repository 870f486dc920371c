from flask import Flask, make_response, request

app = Flask(__name__)

PAGE = """<!doctype html>
<html>
  <head><title>Search</title></head>
  <body>
    <h1>Results for {query}</h1>
    <p>{count} products found.</p>
  </body>
</html>
"""


def count_products(query):
    return len(query) % 7


@app.get("/search")
def search_page():
    query = request.args.get("q", "")
    html = PAGE.format(query=query, count=count_products(query))
    response = make_response(html)
    response.headers["Content-Type"] = "text/html; charset=utf-8"
    return response
