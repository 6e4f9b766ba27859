#!/bin/bash
seconds=$(python3 -c 'import json,sys; print(json.load(sys.stdin).get("seconds", 60))' 2>/dev/null || echo 60)
setsid sleep "$seconds" &
echo "child $!"
echo "main $$"
sleep "$seconds"
