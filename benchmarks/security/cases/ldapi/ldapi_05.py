"""List members of a department."""

from fastapi import FastAPI
from ldap3 import Connection, Server

app = FastAPI()


@app.get("/departments/{dept}/members")
def department_members(dept: str):
    conn = Connection(Server("ldap://ldap.internal"), auto_bind=True)
    conn.search("ou=people,dc=example,dc=com", f"(departmentNumber={dept})", attributes=["uid"])
    return {"members": [str(e.uid) for e in conn.entries]}
