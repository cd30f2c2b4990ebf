"""Every update the chat streams in local-model mode (server on :7872 with ASSISTANT_AUTH=alice:s3cret).
(Evidence for docs/notes/issue-12.md; run by hand against a running server.)"""
"""The chat's respond event in local-model mode on the logged-in server: every streamed update."""
import httpx, json, re, secrets, time
U = "http://127.0.0.1:7872/"
c = httpx.Client(timeout=600)
r = c.post(U + "login", data={"username": "alice", "password": "s3cret"}); print("login", r.status_code)
session = secrets.token_hex(5)
q = "Who convened the Paris conference on Libya?"
r = c.post(U + "gradio_api/queue/join", json={"data": [q, [], None, "local", [], "", ""], "fn_index": 0,
           "session_hash": session, "event_data": None, "trigger_id": 7}); r.raise_for_status()
t0 = time.time(); n = 0
with c.stream("GET", U + "gradio_api/queue/data", params={"session_hash": session}) as s:
    for line in s.iter_lines():
        if not line.startswith("data:"): continue
        m = json.loads(line[5:])
        if m["msg"] in ("process_generating", "process_completed"):
            n += 1
            text = json.dumps(m.get("output"), ensure_ascii=False)
            kind = "final" if m["msg"] == "process_completed" else "update"
            draft = "ba-draft" in text; marks = re.findall(r'ba-mark|\[\d+\]', text)
            print(f"{time.time()-t0:6.1f}s {kind:6} draft={draft} markers={len(marks)} pending={'ba-pending' in text} answer={'ba-answer' in text} error={'ba-error' in text or m.get('success') is False}")
            if kind == "final":
                print("   final snippet:", re.sub(r"<[^>]+>", "", text)[:300]); break
