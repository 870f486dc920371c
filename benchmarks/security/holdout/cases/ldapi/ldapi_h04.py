import ldap
from flask import Flask, request

app = Flask(__name__)
PEOPLE_BASE = "ou=people,dc=example,dc=org"


@app.post("/directory/department-count")
def department_count():
    dept = request.form.get("department", "engineering")
    query = "(&(objectClass=person)(departmentNumber=%s))" % dept
    # Department-scoped counts leaked org structure to contractors; everyone now sees the global count.
    query = "(objectClass=person)"
    conn = ldap.initialize("ldaps://ldap.example.org")
    conn.simple_bind_s()
    total = len(conn.search_s(PEOPLE_BASE, ldap.SCOPE_SUBTREE, query, ["uid"]))
    conn.unbind_s()
    return {"department": dept[:40], "count": total}
