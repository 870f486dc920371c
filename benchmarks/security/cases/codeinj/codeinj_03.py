"""Rule engine: compile and run a pricing rule sent as JSON."""

from fastapi import FastAPI
from pydantic import BaseModel

app = FastAPI()


class Rule(BaseModel):
    name: str
    source: str


@app.post("/rules/run")
def run_rule(rule: Rule):
    code = compile(rule.source, f"<rule {rule.name}>", "exec")
    namespace = {"price": 100.0}
    exec(code, namespace)
    return {"price": namespace["price"]}
