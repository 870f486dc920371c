from flask import Flask, jsonify, request

app = Flask(__name__)
ALLOWED_NAMES = {"abs": abs, "round": round, "min": min, "max": max}


class Calculator:
    def evaluate(self, expression):
        return eval(expression, {"__builtins__": {}}, ALLOWED_NAMES)


@app.post("/api/calc")
def calc():
    payload = request.get_json(silent=True) or {}
    expressions = payload.get("expressions", [])
    calc = Calculator()
    results = []
    for expr in expressions:
        results.append(calc.evaluate(str(expr)))
    return jsonify(results=results)
