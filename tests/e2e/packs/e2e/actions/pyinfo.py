import json
import os
import sys

params = json.load(sys.stdin)
print(f"password is {params.get('password')}", file=sys.stderr)
print(json.dumps({
    "params": {k: v for k, v in params.items() if k != "password"},
    "env": {k: v for k, v in os.environ.items() if k.startswith("ATTUNE_")},
    "leaked_env": sorted(k for k in os.environ if k in ("ATTUNE_DATABASE_URL", "ATTUNE_SECRET_KEY", "DJANGO_SETTINGS_MODULE")),
}))
