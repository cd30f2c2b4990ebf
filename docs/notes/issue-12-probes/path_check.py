"""Error messages of uploads (index locked by another process, too big, binary): no server paths.
(Evidence for docs/notes/issue-12.md; run by hand against a running server.)"""
import fcntl, httpx, re, sys
sys.path.insert(0, __import__("os").path.dirname(__file__))
from q import call, URL
def upload(name, data):
    path = httpx.post(URL + "gradio_api/upload", files={"files": (name, data)}, timeout=60).json()[0]
    msgs = call(11, [[{"path": path, "orig_name": name, "meta": {"_type": "gradio.FileData"}}]], trigger_id=20)
    done = [m for m in msgs if m["msg"] == "process_completed"][0]
    if not done["success"]:
        return "ERROR: " + str(done["output"].get("error"))
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", done["output"]["data"][0])).strip()[:300]
text = open(__import__("os").path.join(__import__("os").path.dirname(__file__), "../../../tests/web_helpers.py")).read().split('GOOD_BRIEFING = """')[1].split('"""')[0].replace("Narnia", "Calormen")
with open("/tmp/i12/index/.lock", "a+") as lock:
    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    print("upload while another process writes:", upload("c.txt", text.encode()))
print("upload of 20,500,000 bytes:", upload("big.txt", b"Briefing " * (20_500_000 // 9)))
print("binary upload:", upload("x.txt", bytes(range(256)) * 100))
