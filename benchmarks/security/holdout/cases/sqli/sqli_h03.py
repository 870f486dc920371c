from typing import Annotated

from fastapi import Depends, FastAPI
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

engine = create_engine("postgresql+psycopg2://app@db/app")
app = FastAPI()


def get_session():
    with Session(engine) as session:
        yield session


class TicketRepository:
    def __init__(self, session: Session):
        self.session = session

    def by_project(self, project: str, order: str):
        query = "SELECT id, title FROM tickets WHERE project_id = :project ORDER BY {} LIMIT 50".format(order)
        return self.session.execute(text(query), {"project": project}).all()


@app.get("/projects/{project}/tickets/{order}")
def list_tickets(project: str, order: str, session: Annotated[Session, Depends(get_session)]):
    repo = TicketRepository(session)
    return [{"id": row.id, "title": row.title} for row in repo.by_project(project, order)]
