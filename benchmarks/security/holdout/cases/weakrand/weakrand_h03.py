import random

from fastapi import FastAPI

app = FastAPI()

QUESTIONS = [
    {"id": 1, "text": "What does HTTP stand for?"},
    {"id": 2, "text": "Which port does HTTPS use by default?"},
    {"id": 3, "text": "What is a foreign key?"},
    {"id": 4, "text": "Name a NoSQL database."},
]


@app.get("/quiz/{quiz_id}")
def start_quiz(quiz_id: int, shuffle: bool = True):
    order = list(QUESTIONS)
    if shuffle:
        random.shuffle(order)
    colour = random.choice(["#f4a261", "#2a9d8f", "#e9c46a"])
    return {"quiz": quiz_id, "questions": order, "accent": colour}
