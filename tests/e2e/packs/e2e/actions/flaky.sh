#!/bin/bash
IFS= read -r -d '' params || true
eval "$params"
count=$(( $(cat "$path" 2>/dev/null || echo 0) + 1 ))
echo "$count" > "$path"
echo "attempt $count"
[ "$count" -ge "$succeed_on" ]
