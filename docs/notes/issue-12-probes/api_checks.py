"""Wrong values and types to /ask, through gradio_client and raw HTTP (server on :7871, extractive).
(Evidence for docs/notes/issue-12.md; run by hand against a running server.)"""
import httpx, json
from gradio_client import Client
URL = "http://127.0.0.1:7871/"
c = Client(URL, verbose=False)
Q = "Who convened the Paris conference on Libya?"
cases = [("inverted dates", (Q, "", None, "2021-12-01", "2021-11-01")), ("unknown briefing", (Q, "", ["no-such-briefing"])),
         ("question int", (5,)), ("question list", (["a"],)), ("question dict", ({"q": 1},)), ("mode int", (Q, 7)),
         ("briefing_ids int", (Q, "", 5)), ("date_from int", (Q, "", None, 20211110)), ("date_from bad", (Q, "", None, "yesterday")),
         ("mode local on extractive server", (Q, "local")), ("question 100,000 chars", ("x" * 100_000,))]
for name, args in cases:
    try:
        r = c.predict(*args, api_name="/ask"); print(f"{name}: ANSWERED abstained={r['abstained']}")
    except Exception as e:
        print(f"{name}: {type(e).__name__}: {e}")
# raw HTTP, bypassing gradio_client's own checks
def raw(body):
    r = httpx.post(URL + "gradio_api/call/ask", json=body, timeout=30)
    if r.status_code != 200:
        return f"HTTP {r.status_code}: {r.text[:300]}"
    eid = r.json()["event_id"]
    out = httpx.get(URL + f"gradio_api/call/ask/{eid}", timeout=60).text
    return out.strip().replace("\n", " | ")[:400]
for body in ({"data": [5]}, {"data": "abc"}, {"data": [Q, "", "not-a-list"]}, {"data": [None]}, {"data": [Q, "", [1, 2]]}, {"nodata": 1}):
    print("raw", json.dumps(body), "->", raw(body))
