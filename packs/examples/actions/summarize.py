"""Parameters arrive as one JSON object on stdin; the JSON printed becomes the result."""

import json
import os
import sys

params = json.load(sys.stdin)
print(json.dumps({
    "order": params["order_id"],
    "band": "large" if params["total"] > 1000 else "medium",
    "execution": os.environ["ATTUNE_EXEC_ID"],
}))
