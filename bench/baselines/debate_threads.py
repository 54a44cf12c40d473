#!/usr/bin/env python3
# BASELINE, not part of ark: a multi-agent debate client written the way research code usually
# writes one with the standard library alone, for bench/cpu-request.sh to compare ark-debate's
# CPU a request with.  A thread pool of J workers runs J debates at once (so J requests are in
# flight); each debate asks its N agents in turn, round after round, over a keep-alive
# http.client connection per thread (the stronger form of the usual urllib.request.urlopen,
# which opens a connection a request), parses each reply with json, pulls the answer out with a
# regular expression and writes one JSON line per debate.
#
#   debate_threads.py URL TASKS.jsonl J [N ROUNDS]
import json
import re
import sys
import threading
import urllib.parse
import http.client
from concurrent.futures import ThreadPoolExecutor

url, tasks_path, j = sys.argv[1], sys.argv[2], int(sys.argv[3])
n_agents = int(sys.argv[4]) if len(sys.argv) > 4 else 5
rounds = int(sys.argv[5]) if len(sys.argv) > 5 else 3
u = urllib.parse.urlparse(url)
path = u.path.rstrip("/") + "/chat/completions"
local = threading.local()
ANSWER = re.compile(r"Answer:\s*(.+)")


def chat(messages, seed):
    conn = getattr(local, "conn", None)
    if conn is None:
        conn = local.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    body = json.dumps({"model": "bench", "messages": messages, "max_tokens": 4096, "seed": seed})
    conn.request("POST", path, body, {"Content-Type": "application/json"})
    resp = conn.getresponse()
    data = json.loads(resp.read())
    if resp.status != 200:
        raise RuntimeError(f"HTTP {resp.status}")
    return data["choices"][0]["message"]["content"], data.get("usage", {})


def debate(task):
    system = "You are one of several agents solving a problem together."
    hist = [[{"role": "system", "content": system},
             {"role": "user", "content": task["question"] + "\nEnd with 'Answer: X'."}]
            for _ in range(n_agents)]
    turns = []
    for r in range(rounds + 1):
        answers = []
        for a in range(n_agents):
            if r > 0:
                peers = "\n\n".join(f"Agent {b}: {turns[-n_agents + b]['text']}"
                                    for b in range(n_agents) if b != a)
                hist[a].append({"role": "user", "content": "The other agents said:\n\n" + peers +
                                "\n\nUpdate your answer. End with 'Answer: X'."})
            text, usage = chat(hist[a], hash((task["id"], a, r)) & 0x7fffffff)
            hist[a].append({"role": "assistant", "content": text})
            m = ANSWER.findall(text)
            answers.append({"round": r, "agent": a, "text": text,
                            "answer": m[-1].strip() if m else None, "usage": usage})
        turns.extend(answers)
    final = [t["answer"] for t in turns[-n_agents:]]
    return {"id": task["id"], "turns": turns, "final": max(set(final), key=final.count)}


with open(tasks_path) as f:
    tasks = [json.loads(line) for line in f]
with ThreadPoolExecutor(max_workers=j) as ex:
    for rec in ex.map(debate, tasks):
        sys.stdout.write(json.dumps(rec) + "\n")
