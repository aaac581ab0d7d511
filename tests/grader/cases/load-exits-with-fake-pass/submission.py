# Hostile: claims success on stdout and exits 0 before the grader can check anything.
import json
import os

print(json.dumps({"exercise": "echo-once", "status": "passed", "score": 7.0, "max_score": 7.0}))
os._exit(0)
