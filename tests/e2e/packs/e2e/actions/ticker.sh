#!/bin/bash
IFS= read -r -d '' params || true
eval "$params"
for i in $(seq 1 "$count"); do echo "tick $i"; sleep 0.2; done
