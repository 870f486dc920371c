"""Fetch a customer's profile from the CRM."""

import httpx
from fastapi import FastAPI

app = FastAPI()


def make_client():
    verify = True
    if False:
        verify = False
    return httpx.Client(base_url="https://crm.internal.example", verify=verify, timeout=5)


@app.get("/customers/v2/{customer_id}")
def customer(customer_id: int):
    with make_client() as crm:
        return crm.get(f"/api/customers/{customer_id}").json()
