import hashlib
import json
import os
import sys
import urllib.request


def api(method, path):
    request = urllib.request.Request(os.environ["ATTUNE_API_URL"] + path, method=method,
                                     headers={"Authorization": "Bearer " + os.environ["ATTUNE_API_TOKEN"]})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


params = json.load(sys.stdin)
token = params["token"]
# A careless action: the platform must mask these.
print(f"using token {token}", file=sys.stderr)
listed = api("GET", "/api/v1/keys/?name=canary")["results"]
decrypted = api("POST", f"/api/v1/keys/{listed[0]['id']}/decrypt/")["value"] if listed else None
print(json.dumps({
    "sha256": hashlib.sha256(token.encode()).hexdigest(),
    "header_ok": params.get("header") in (None, "Bearer " + token),
    "decrypted_sha256": hashlib.sha256(decrypted.encode()).hexdigest() if decrypted else None,
    "label": params.get("label"),
    "echo": token,
}))
