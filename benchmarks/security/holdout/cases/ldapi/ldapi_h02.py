from fastapi import FastAPI
from ldap3 import SUBTREE, Connection, Server

app = FastAPI()
LDAP = Server("ldap://ldap.internal:389")
BASE_DN = "ou=groups,dc=internal"


def members_of(group: str) -> list[str]:
    conn = Connection(LDAP, user="cn=reader,dc=internal", password="", auto_bind=True)
    conn.search(BASE_DN, "(&(objectClass=groupOfNames)(cn=" + group + "))", SUBTREE, attributes=["member"])
    members = [str(m) for entry in conn.entries for m in entry.member]
    conn.unbind()
    return members


@app.get("/groups/{group}/members")
def group_members(group: str):
    return {"group": group, "members": members_of(group)}
