"""Reproduces the 'Error finding id' defect: python repro2.py CODE_ROOT NEW_INDEX_DIR CYCLES.
(Evidence for docs/notes/issue-12.md; no server needed.)"""
import json, os, subprocess, sys, time
code, index_dir, cycles = sys.argv[1], sys.argv[2], int(sys.argv[3])
PRE = f"""
import sys, json, time
sys.path.insert(0, {code!r})
import assistant.offline
from assistant.config import Settings
from assistant.store.index import Index
from tests.fakes import HashEmbedder
settings = Settings(index_dir={index_dir!r}, llm="extractive", _env_file=None)
"""
READER = PRE + """
from assistant.answer.retrieval import Retriever
e = HashEmbedder(); index = Index(settings, e); r = Retriever(index, e, settings)
r.search("Narnian minister museum")
from assistant.ingest.ingestor import Ingestor
print(Ingestor(index, settings).ingest([sys.argv[1] + "/a.txt", sys.argv[1] + "/b.txt"], show_progress=False).ok, file=sys.stderr)
r.search("Narnian minister museum")
print("ready", flush=True)
while True:
    try:
        s = r.search("Narnian minister Hermitage museum").sections
        out = s[0].ref.briefing_id if s else None
    except Exception as err:
        out = "ERROR " + str(err)[:150]
    print(json.dumps(out), flush=True)
    time.sleep(0.2)
"""
WRITER = PRE + """
from assistant.ingest.ingestor import Ingestor
index = Index(settings, HashEmbedder())
if sys.argv[1] == "ingest": print(Ingestor(index, settings).ingest([sys.argv[2]], show_progress=False).ok)
else: Ingestor(index, settings).remove(sys.argv[2])
"""
env = {**os.environ, "PYTHONPATH": code}
subprocess.run([sys.executable, "-c", WRITER, "ingest", f"{code}/corpus/2021-11-10-briefing-zakharova.txt"], env=env, cwd=code, check=True)
work = os.path.join(os.path.dirname(os.path.abspath(index_dir)), "repro-files")
os.makedirs(work, exist_ok=True)
text = open(f"{code}/tests/web_helpers.py").read().split('GOOD_BRIEFING = """')[1].split('"""')[0]
narnia = os.path.join(work, "2021-12-01-narnia.txt")
open(narnia, "w").write(text)
open(os.path.join(work, "a.txt"), "w").write(text)
open(os.path.join(work, "b.txt"), "w").write(text.replace("December 1, 2021", "December 8, 2021").replace("Narnia", "Archenland"))
reader = subprocess.Popen([sys.executable, "-c", READER, work], env=env, cwd=code, stdout=subprocess.PIPE, text=True)
assert reader.stdout.readline().strip() == "ready"
import threading
last = {}
def pump():
    for line in reader.stdout:
        last["v"] = line.strip()
threading.Thread(target=pump, daemon=True).start()
time.sleep(3)
for bid in ("a", "b"):
    subprocess.run([sys.executable, "-c", WRITER, "remove", bid], env=env, cwd=code, check=True, capture_output=True)
print("removed a, b:", last.get("v"))
for i in range(cycles):
    subprocess.run([sys.executable, "-c", WRITER, "ingest", narnia], env=env, cwd=code, check=True, capture_output=True)
    time.sleep(2.5); a = last.get("v")
    subprocess.run([sys.executable, "-c", WRITER, "remove", "2021-12-01-narnia"], env=env, cwd=code, check=True, capture_output=True)
    time.sleep(2.5); b = last.get("v")
    print(i, "after ingest:", a, "| after remove:", b, flush=True)
reader.kill()
