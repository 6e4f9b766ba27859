import json
import os
import urllib.error
import urllib.request


def get(path):
    request = urllib.request.Request(
        os.environ["ATTUNE_API_URL"] + path, headers={"Authorization": "Bearer " + os.environ["ATTUNE_API_TOKEN"]}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as exc:
        return exc.code, None


own_status, own = get(f"/api/v1/executions/{os.environ['ATTUNE_EXEC_ID']}/")
other_status, _ = get("/api/v1/packs/")
print(json.dumps({"own_status": own_status, "own_action": own and own["action"], "packs_status": other_status}))
