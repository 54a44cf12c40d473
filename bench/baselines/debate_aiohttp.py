#!/usr/bin/env python3
# BASELINE, not part of ark: the same debate client as debate_threads.py written with asyncio and
# aiohttp (python3-aiohttp), the way a careful research script keeps many requests in flight:
# one ClientSession whose connector allows J connections, a semaphore of J, every debate a
# coroutine whose agents of a round are asked together (asyncio.gather).  For
# bench/cpu-request.sh only.
#
#   debate_aiohttp.py URL TASKS.jsonl J [N ROUNDS]
import asyncio
import json
import re
import sys

import aiohttp

url, tasks_path, j = sys.argv[1], sys.argv[2], int(sys.argv[3])
n_agents = int(sys.argv[4]) if len(sys.argv) > 4 else 5
rounds = int(sys.argv[5]) if len(sys.argv) > 5 else 3
endpoint = url.rstrip("/") + "/chat/completions"
ANSWER = re.compile(r"Answer:\s*(.+)")


async def chat(session, sem, messages, seed):
    async with sem:
        async with session.post(endpoint, json={"model": "bench", "messages": messages,
                                                "max_tokens": 4096, "seed": seed}) as resp:
            data = await resp.json()
            if resp.status != 200:
                raise RuntimeError(f"HTTP {resp.status}")
    return data["choices"][0]["message"]["content"], data.get("usage", {})


async def debate(session, sem, task):
    system = "You are one of several agents solving a problem together."
    hist = [[{"role": "system", "content": system},
             {"role": "user", "content": task["question"] + "\nEnd with 'Answer: X'."}]
            for _ in range(n_agents)]
    turns = []
    for r in range(rounds + 1):
        if r > 0:
            for a in range(n_agents):
                peers = "\n\n".join(f"Agent {b}: {turns[-n_agents + b]['text']}"
                                    for b in range(n_agents) if b != a)
                hist[a].append({"role": "user", "content": "The other agents said:\n\n" + peers +
                                "\n\nUpdate your answer. End with 'Answer: X'."})
        replies = await asyncio.gather(*(chat(session, sem, hist[a],
                                              hash((task["id"], a, r)) & 0x7fffffff)
                                         for a in range(n_agents)))
        for a, (text, usage) in enumerate(replies):
            hist[a].append({"role": "assistant", "content": text})
            m = ANSWER.findall(text)
            turns.append({"round": r, "agent": a, "text": text,
                          "answer": m[-1].strip() if m else None, "usage": usage})
    final = [t["answer"] for t in turns[-n_agents:]]
    return {"id": task["id"], "turns": turns, "final": max(set(final), key=final.count)}


async def main():
    with open(tasks_path) as f:
        tasks = [json.loads(line) for line in f]
    sem = asyncio.Semaphore(j)
    conn = aiohttp.TCPConnector(limit=j)
    async with aiohttp.ClientSession(connector=conn) as session:
        # at most J debates open, as ark-debate keeps -j debates open
        pending = iter(tasks)
        running = set()
        while True:
            while len(running) < j:
                t = next(pending, None)
                if t is None:
                    break
                running.add(asyncio.ensure_future(debate(session, sem, t)))
            if not running:
                break
            done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            for d in done:
                sys.stdout.write(json.dumps(d.result()) + "\n")


asyncio.run(main())
