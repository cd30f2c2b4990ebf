"""Helper: call a Gradio event the way the page does (queue/join with its fn_index) on the server at URL.
(Evidence for docs/notes/issue-12.md; run by hand against a running server.)"""
import httpx, json, secrets, sys
URL = "http://127.0.0.1:7871/"
def call(fn_index, data, trigger_id=None, session=None):
    session = session or secrets.token_hex(5)
    r = httpx.post(URL + "gradio_api/queue/join", json={"data": data, "fn_index": fn_index, "session_hash": session,
                   "event_data": None, "trigger_id": trigger_id}, timeout=30)
    r.raise_for_status()
    msgs = []
    with httpx.stream("GET", URL + "gradio_api/queue/data", params={"session_hash": session}, timeout=60) as s:
        for line in s.iter_lines():
            if line.startswith("data:"):
                m = json.loads(line[5:])
                msgs.append(m)
                if m.get("msg") == "process_completed":
                    break
    return msgs
if __name__ == "__main__":
    msgs = call(0, ["Who convened the Paris conference on Libya?", [], None, "local", [], "", ""], 7)
    for m in msgs: print(json.dumps(m)[:400])
