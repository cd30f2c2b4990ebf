"""Two sessions upload different files both named a.txt; the size limit shown and enforced.
(Evidence for docs/notes/issue-12.md; run by hand against a running server.)"""
import httpx, json, secrets, sys, re
sys.path.insert(0, __import__("os").path.dirname(__file__))
from q import call, URL
A = open(__import__("os").path.join(__import__("os").path.dirname(__file__), "../../../tests/web_helpers.py")).read().split('GOOD_BRIEFING = """')[1].split('"""')[0]
B = A.replace("Narnia", "Archenland").replace("Narnian", "Archenlandish").replace("December 1, 2021", "December 8, 2021")
cfg = httpx.get(URL + "config").json()
box = next(c for c in cfg["components"] if c["props"].get("elem_id") == "ba-upload")
print("upload box label:", box["props"]["label"], "| max_file_size:", cfg.get("max_file_size"))
for user, text in (("user1", A), ("user2", B)):
    r = httpx.post(URL + "gradio_api/upload", files={"files": ("a.txt", text.encode())}, timeout=30)
    path = r.json()[0]
    print(user, "stored by Gradio at", path)
    msgs = call(11, [[{"path": path, "orig_name": "a.txt", "meta": {"_type": "gradio.FileData"}}]], trigger_id=20)
    done = [m for m in msgs if m["msg"] == "process_completed"][0]
    report = done["output"]["data"][0]
    print(user, "report:", re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", report)).strip()[:300])
big = 20 * 1024 * 1024 + 1
r = httpx.post(URL + "gradio_api/upload", files={"files": ("big.txt", b"a" * big)}, timeout=60)
print("upload of", big, "bytes:", r.status_code, r.text[:200])
