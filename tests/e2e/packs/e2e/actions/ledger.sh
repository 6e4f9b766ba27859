#!/bin/bash
IFS= read -r -d '' params || true
eval "$params"
echo "$ATTUNE_EXEC_ID" >> "$path"
sleep "${sleep:-0}"
echo "recorded"
